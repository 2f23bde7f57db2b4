package lmtp

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"sync"
)

// go-smtp accepts only "local@domain" in RCPT TO, but a recipient without
// a domain is valid here: RFC 5321 §4.1.1.3 requires "RCPT TO:<Postmaster>"
// to be accepted, and MTAs hand local users over as a bare "user". bareConn
// sits between the socket and go-smtp: it rewrites such a RCPT command to
// "<user@bareDomain>", which Rcpt turns back into "user", and takes
// bareDomain out of go-smtp's replies. It follows the protocol just enough
// never to touch message content: after a 354 reply it passes DATA through
// up to the line ".", and after "BDAT n" it passes n octets (RFC 3030).

// bareDomain is the domain given to a recipient sent without one. The
// .invalid top-level domain (RFC 2606 §2) can never be a real domain.
const bareDomain = "bare.petrel.invalid"

// unbare returns the recipient as the client sent it.
func unbare(addr string) string {
	if local, ok := strings.CutSuffix(addr, "@"+bareDomain); ok {
		return local
	}
	return addr
}

type bareMode int

const (
	modeCommand bareMode = iota // lines are commands
	modeData                    // after 354: message lines up to "."
	modeChunk                   // after BDAT n: n octets
)

// bareConn is a net.Conn that rewrites bare RCPT recipients (see above).
type bareConn struct {
	net.Conn

	mu    sync.Mutex // guards mode, lineStart, dotSeen, chunk against Write
	mode  bareMode
	chunk int64 // octets of a BDAT chunk still to pass
	// In modeData: whether the next octet starts a line, and how much of
	// a "." line has been seen at the start of the current line (0: none,
	// 1: ".", 2: ".\r").
	lineStart bool
	dot       int

	in  []byte // read from the socket, not yet looked at
	out []byte // ready for go-smtp
	buf [4096]byte
}

// Read hands go-smtp at most one command line at a time in command mode,
// so that nothing after a DATA or BDAT line is looked at before go-smtp
// has answered it.
func (c *bareConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if err := c.fill(); err != nil {
			if len(c.out) > 0 {
				break
			}
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// fill moves data from in to out, reading from the socket when in holds
// no complete unit.
func (c *bareConn) fill() error {
	c.mu.Lock()
	mode := c.mode
	c.mu.Unlock()
	switch mode {
	case modeCommand:
		if i := bytes.IndexByte(c.in, '\n'); i >= 0 {
			line := c.in[:i+1]
			c.in = c.in[i+1:]
			c.out = c.command(line)
			return nil
		}
		if len(c.in) > maxLineLength {
			// go-smtp refuses the line; pass it on unchanged.
			c.out, c.in = c.in, nil
			return nil
		}
	case modeData, modeChunk:
		if len(c.in) > 0 {
			b := c.in
			c.in = nil
			c.out = c.passData(b) // leaves what follows the end in c.in
			return nil
		}
	}
	n, err := c.Conn.Read(c.buf[:])
	c.in = append(c.in, c.buf[:n]...)
	if err != nil && n == 0 {
		if len(c.in) > 0 && mode == modeCommand {
			// A last line without its end: pass it on as it is.
			c.out, c.in = c.in, nil
			return nil
		}
		return err
	}
	return nil
}

// command looks at one command line, rewriting a bare RCPT TO and noting
// the start of a BDAT chunk.
func (c *bareConn) command(line []byte) []byte {
	s := string(line)
	upper := strings.ToUpper(s)
	switch {
	case strings.HasPrefix(upper, "RCPT TO:"):
		rest := strings.TrimLeft(s[len("RCPT TO:"):], " ")
		if !strings.HasPrefix(rest, "<") {
			break
		}
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			break
		}
		addr := rest[1:end]
		if addr == "" || strings.ContainsAny(addr, "@\" \t\\") {
			break
		}
		return []byte(s[:len(s)-len(rest)] + "<" + addr + "@" + bareDomain + rest[end:])
	case strings.HasPrefix(upper, "BDAT "):
		f := strings.Fields(s[len("BDAT "):])
		if len(f) == 0 {
			break
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			break
		}
		c.mu.Lock()
		if n > 0 {
			c.mode, c.chunk = modeChunk, n
		}
		c.mu.Unlock()
	}
	return line
}

// passData passes message octets on, watching for the end of the DATA
// ("." alone on a line) or of the BDAT chunk. What follows the end stays
// in in, to be read as commands.
func (c *bareConn) passData(b []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode == modeChunk {
		n := int(min(int64(len(b)), c.chunk))
		c.chunk -= int64(n)
		if c.chunk == 0 {
			c.mode = modeCommand
		}
		c.in = append(c.in[:0:0], b[n:]...)
		return b[:n:n]
	}
	for i, ch := range b {
		switch {
		case c.lineStart && ch == '.':
			c.dot = 1
		case c.dot == 1 && ch == '\r':
			c.dot = 2
		case (c.dot == 1 || c.dot == 2) && ch == '\n':
			c.mode, c.dot = modeCommand, 0
			c.in = append(c.in[:0:0], b[i+1:]...)
			return b[: i+1 : i+1]
		default:
			c.dot = 0
		}
		c.lineStart = ch == '\n'
	}
	return b
}

// Write passes go-smtp's replies on without bareDomain, and switches to
// DATA mode at a 354 reply (RFC 5321 §4.2.2).
func (c *bareConn) Write(p []byte) (int, error) {
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("354")) {
			c.mu.Lock()
			c.mode, c.lineStart, c.dot = modeData, true, 0
			c.mu.Unlock()
		}
	}
	q := p
	if bytes.Contains(p, []byte("@"+bareDomain)) {
		q = bytes.ReplaceAll(p, []byte("@"+bareDomain), nil)
	}
	if _, err := c.Conn.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}
