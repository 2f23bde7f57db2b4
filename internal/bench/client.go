package bench

// A lean IMAP client for measurement: one command at a time (or a window of
// pipelined APPENDs), responses read line by line with literals skipped
// and counted, no parsing beyond what the scenarios need. It trusts
// nothing: lines and literals have size limits and every read and write
// has a deadline.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Limits on what the server may send.
const (
	maxLine    = 1 << 20   // bytes of one response line, literals excluded
	maxLiteral = 256 << 20 // bytes of one literal
)

// statusError is a tagged NO or BAD, or an unexpected BYE.
type statusError struct {
	cmd, status, text string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s: %s %s", e.cmd, e.status, e.text)
}

// client is one IMAP connection.
type client struct {
	nc      net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	tag     int
	timeout time.Duration // per command
	caps    map[string]bool
	read    int64 // bytes received so far
}

// readCounter counts the bytes read through it.
type readCounter struct {
	r io.Reader
	n *int64
}

func (rc readCounter) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	*rc.n += int64(n)
	return n, err
}

// dialer opens connections to the target.
type dialer struct {
	addr    string
	tls     bool
	timeout time.Duration
	local   *sourceAddrs // nil: the kernel chooses
}

// dial connects, reads the greeting and returns the client.
func (d *dialer) dial(ctx context.Context) (*client, error) {
	nd := net.Dialer{Timeout: d.timeout}
	var nc net.Conn
	var err error
	for range 254 {
		if d.local != nil {
			nd.LocalAddr = d.local.current()
		}
		nc, err = nd.DialContext(ctx, "tcp", d.addr)
		if err == nil || d.local == nil || !isAddrNotAvail(err) || !d.local.next() {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if d.tls {
		tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}) //nolint:gosec // benchmark of a loopback server
		_ = tc.SetDeadline(time.Now().Add(d.timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		nc = tc
	}
	c := &client{nc: nc, w: bufio.NewWriterSize(nc, 64<<10), timeout: d.timeout}
	c.r = bufio.NewReaderSize(readCounter{nc, &c.read}, 64<<10)
	_ = nc.SetDeadline(time.Now().Add(d.timeout))
	line, _, err := c.readLine(nil)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("* OK")) && !bytes.HasPrefix(line, []byte("* PREAUTH")) {
		nc.Close()
		return nil, fmt.Errorf("greeting: %q", truncate(line))
	}
	c.parseCaps(line)
	return c, nil
}

func (c *client) close() error { return c.nc.Close() }

// readLine reads one response line with its literals. Literal contents
// are passed to lit (discarded when nil); the returned line keeps the
// "{n}" markers. It returns the total literal bytes.
func (c *client) readLine(lit func([]byte)) (line []byte, litBytes int64, err error) {
	for {
		part, err := c.readPart()
		if err != nil {
			return nil, litBytes, err
		}
		if len(line)+len(part) > maxLine {
			return nil, litBytes, fmt.Errorf("response line over %d bytes", maxLine)
		}
		line = append(line, part...)
		n, ok := literalSize(part)
		if !ok {
			return line, litBytes, nil
		}
		if n > maxLiteral {
			return nil, litBytes, fmt.Errorf("literal of %d bytes over the %d limit", n, maxLiteral)
		}
		if lit == nil {
			if _, err := c.r.Discard(int(n)); err != nil {
				return nil, litBytes, err
			}
		} else {
			buf := make([]byte, n)
			if _, err := io.ReadFull(c.r, buf); err != nil {
				return nil, litBytes, err
			}
			lit(buf)
		}
		litBytes += n
	}
}

// readPart reads up to and without CRLF (or LF).
// The result is valid until the next read.
func (c *client) readPart() ([]byte, error) {
	var line []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		if err == nil && line == nil {
			// The usual case, a whole line in the buffer: no copy.
			line = frag
			break
		}
		if len(line)+len(frag) > maxLine {
			return nil, fmt.Errorf("response line over %d bytes", maxLine)
		}
		line = append(line, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// literalSize reports whether line ends with a literal marker "{n}" (or
// "{n+}", "~{n}") and its size.
func literalSize(line []byte) (int64, bool) {
	if len(line) < 3 || line[len(line)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	num := strings.TrimSuffix(string(line[i+1:len(line)-1]), "+")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || num == "" || num[0] == '+' || num[0] == '-' {
		return 0, false
	}
	return n, true
}

// indexFold is the index of the first ASCII-case-insensitive match of
// sub in b, or -1.
func indexFold(b []byte, sub string) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		j := bytes.IndexByte(b[i:], sub[0])
		if j < 0 || i+j+len(sub) > len(b) {
			return -1
		}
		i += j
		if bytes.EqualFold(b[i:i+len(sub)], []byte(sub)) {
			return i
		}
	}
	return -1
}

// tagged parses a tagged status line "TAG OK|NO|BAD text".
func tagged(line []byte, tag string) (status, text string, ok bool) {
	if len(line) <= len(tag) || line[len(tag)] != ' ' || string(line[:len(tag)]) != tag {
		return "", "", false
	}
	s := string(line)
	if !strings.HasPrefix(s, tag+" ") {
		return "", "", false
	}
	s = s[len(tag)+1:]
	status, text, _ = strings.Cut(s, " ")
	return strings.ToUpper(status), text, true
}

// untaggedNumber parses "* N WORD..." and returns N and WORD (upper case).
func untaggedNumber(line []byte) (n uint32, word string, ok bool) {
	s, found := strings.CutPrefix(string(line), "* ")
	if !found {
		return 0, "", false
	}
	num, rest, found := strings.Cut(s, " ")
	if !found {
		return 0, "", false
	}
	v, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, "", false
	}
	word, _, _ = strings.Cut(rest, " ")
	return uint32(v), strings.ToUpper(word), true
}

// searchCount returns the number of results of an untagged SEARCH line,
// or -1 when line is not one.
func searchCount(line []byte) int {
	s := string(line)
	if len(s) < 8 || !strings.EqualFold(s[:8], "* SEARCH") {
		return -1
	}
	return len(strings.Fields(s[8:]))
}

// parseCaps records the capabilities of a "[CAPABILITY ...]" code or an
// untagged CAPABILITY response in line, if any.
func (c *client) parseCaps(line []byte) {
	// Most lines (20,000 FETCH responses in a row) carry no capability
	// list: rule them out without allocating, so the client's own CPU
	// stays small next to the server's.
	if !bytes.HasPrefix(line, []byte("* CAPABILITY ")) && indexFold(line, "[CAPABILITY ") < 0 {
		return
	}
	s := string(line)
	var list string
	if i := strings.Index(strings.ToUpper(s), "[CAPABILITY "); i >= 0 {
		list, _, _ = strings.Cut(s[i+len("[CAPABILITY "):], "]")
	} else if rest, ok := strings.CutPrefix(s, "* CAPABILITY "); ok {
		list = rest
	} else {
		return
	}
	c.caps = map[string]bool{}
	for _, f := range strings.Fields(list) {
		c.caps[strings.ToUpper(f)] = true
	}
}

func (c *client) nextTag() string {
	c.tag++
	return "b" + strconv.Itoa(c.tag)
}

// cmd sends one command line (without CRLF) and reads up to its tagged
// response; each untagged line goes to onLine (nil to ignore). A NO or BAD
// is returned as a *statusError.
func (c *client) cmd(line string, onLine func([]byte)) error {
	tag := c.nextTag()
	_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
	c.w.WriteString(tag)
	c.w.WriteByte(' ')
	c.w.WriteString(line)
	c.w.WriteString("\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.wait(tag, verb(line), onLine)
}

// wait reads responses until the tagged one.
func (c *client) wait(tag, name string, onLine func([]byte)) error {
	for {
		l, _, err := c.readLine(nil)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if status, text, ok := tagged(l, tag); ok {
			c.parseCaps(l)
			if status != "OK" {
				return &statusError{cmd: name, status: status, text: text}
			}
			return nil
		}
		// RFC 9051 §6.1.3: LOGOUT is answered by BYE, then OK.
		if bytes.HasPrefix(l, []byte("* BYE")) && name != "LOGOUT" {
			return &statusError{cmd: name, status: "BYE", text: string(truncate(l[5:]))}
		}
		c.parseCaps(l)
		if onLine != nil {
			onLine(l)
		}
	}
}

// verb returns the command name of a command line, for error messages.
func verb(line string) string {
	f := strings.Fields(line)
	switch {
	case len(f) == 0:
		return ""
	case strings.EqualFold(f[0], "UID") && len(f) > 1:
		return "UID " + strings.ToUpper(f[1])
	default:
		return strings.ToUpper(f[0])
	}
}

// quote returns s as an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// login authenticates with LOGIN.
func (c *client) login(user, pass string) error {
	if strings.ContainsAny(user+pass, "\r\n\x00") {
		return errors.New("LOGIN: user or password contains CR, LF or NUL")
	}
	return c.cmd("LOGIN "+quote(user)+" "+quote(pass), nil)
}

// selectBox selects mailbox and returns its EXISTS count.
func (c *client) selectBox(mailbox string) (uint32, error) {
	var exists uint32
	err := c.cmd("SELECT "+quote(mailbox), func(l []byte) {
		if n, w, ok := untaggedNumber(l); ok && w == "EXISTS" {
			exists = n
		}
	})
	return exists, err
}

// appendCmd returns the start of an APPEND command for a literal of n
// bytes, non-synchronizing when the server has LITERAL+.
func (c *client) appendCmd(mailbox, flags string, n int) (string, bool) {
	plus := c.caps["LITERAL+"]
	lit := "{" + strconv.Itoa(n)
	if plus {
		lit += "+"
	}
	lit += "}"
	if flags != "" {
		flags = "(" + flags + ") "
	}
	return "APPEND " + quote(mailbox) + " " + flags + lit, plus
}

// append stores msg in mailbox and waits for the tagged response.
func (c *client) append(mailbox, flags string, msg []byte) error {
	tag := c.nextTag()
	_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
	line, plus := c.appendCmd(mailbox, flags, len(msg))
	c.w.WriteString(tag + " " + line + "\r\n")
	if !plus {
		if err := c.w.Flush(); err != nil {
			return err
		}
		l, _, err := c.readLine(nil)
		if err != nil {
			return fmt.Errorf("APPEND: %w", err)
		}
		if !bytes.HasPrefix(l, []byte("+")) {
			if status, text, ok := tagged(l, tag); ok {
				return &statusError{cmd: "APPEND", status: status, text: text}
			}
			return fmt.Errorf("APPEND: expected continuation, got %q", truncate(l))
		}
	}
	c.w.Write(msg)
	c.w.WriteString("\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.wait(tag, "APPEND", nil)
}

// truncate shortens a server text for error messages.
func truncate(b []byte) []byte {
	if len(b) > 200 {
		return append(b[:200:200], "..."...)
	}
	return b
}

// isAddrNotAvail reports whether err says the local address/port pool is
// exhausted.
func isAddrNotAvail(err error) bool {
	// A bind to a source address whose ports are all taken (TIME_WAIT of
	// the previous run included) fails with EADDRINUSE.
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EADDRINUSE)
}

// statusMessages returns the MESSAGES count of an untagged STATUS line
// ("* STATUS INBOX (MESSAGES 12)"), or 0.
func statusMessages(line []byte) uint32 {
	s := strings.ToUpper(string(line))
	if !strings.HasPrefix(s, "* STATUS ") {
		return 0
	}
	i := strings.LastIndex(s, "(MESSAGES ")
	if i < 0 {
		i = strings.LastIndex(s, " MESSAGES ")
	}
	if i < 0 {
		return 0
	}
	num := strings.TrimLeft(s[i+len(" MESSAGES "):], " ")
	end := strings.IndexAny(num, " )")
	if end < 0 {
		return 0
	}
	n, err := strconv.ParseUint(num[:end], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}
