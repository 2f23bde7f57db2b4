package integration

// A raw-socket IMAP client for tests where the bytes matter. Each call
// sends one line or reads one response line; every line in both directions
// is kept and printed when a test fails or runs with -v:
//
//	a := dialConn(t, s, "A")
//	a.login()
//	a.cmd("SELECT INBOX")                // sends "a3 SELECT INBOX", reads to "a3 OK"
//	a.send("a4 IDLE"); a.expect(`\+ .*`) // line by line

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lineTimeout bounds every read of a response line.
const lineTimeout = 5 * time.Second

// maxLiteral bounds literals read from the server.
const maxLiteral = 10 << 20

// conn is a raw IMAP connection with a transcript.
type conn struct {
	t    *testing.T
	name string // prefix in the transcript: "A", "B"
	nc   net.Conn
	r    *bufio.Reader
	tag  int      // last tag number used by cmd
	log  []string // "A C: ..." and "A S: ..." lines
}

// dialConn connects to s's plain IMAP port and reads the greeting.
func dialConn(t *testing.T, s *server, name string) *conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: dial %s: %v", name, s.Addr, err)
	}
	c := &conn{t: t, name: strings.ToLower(name), nc: nc, r: bufio.NewReader(nc)}
	c.log = append(c.log, "")
	t.Cleanup(func() {
		nc.Close()
		if t.Failed() || testing.Verbose() {
			t.Logf("transcript of %s:\n%s", name, strings.Join(c.log, "\n"))
		}
	})
	c.expect(`\* OK.*`)
	return c
}

// login authenticates with LOGIN.
func (c *conn) login(s *server) {
	c.t.Helper()
	c.cmd(fmt.Sprintf("LOGIN %s %s", quote(s.User), quote(s.Pass)))
}

// quote returns s as an IMAP quoted string.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// send writes one command line; CRLF is appended.
func (c *conn) send(line string) {
	c.t.Helper()
	c.log = append(c.log, strings.ToUpper(c.name)+" C: "+line)
	_ = c.nc.SetWriteDeadline(time.Now().Add(lineTimeout))
	if _, err := io.WriteString(c.nc, line+"\r\n"); err != nil {
		c.t.Fatalf("%s: write %q: %v", c.name, line, err)
	}
}

// sendRaw writes bytes as they are (a literal's contents).
func (c *conn) sendRaw(b string) {
	c.t.Helper()
	c.log = append(c.log, fmt.Sprintf("%s C: <%d literal bytes>", strings.ToUpper(c.name), len(b)))
	_ = c.nc.SetWriteDeadline(time.Now().Add(lineTimeout))
	if _, err := io.WriteString(c.nc, b); err != nil {
		c.t.Fatalf("%s: write literal: %v", c.name, err)
	}
}

var literalSuffix = regexp.MustCompile(`\{(\d+)\+?\}$`)

// readLine reads one response line without its CRLF, with any literals it
// announces spliced in. It fails t after timeout.
func (c *conn) readLine(timeout time.Duration) string {
	c.t.Helper()
	line, err := c.tryReadLine(timeout)
	if err != nil {
		c.t.Fatalf("%s: read: %v", c.name, err)
	}
	return line
}

func (c *conn) tryReadLine(timeout time.Duration) (string, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	var b strings.Builder
	for {
		part, err := c.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		part = strings.TrimSuffix(strings.TrimSuffix(part, "\n"), "\r")
		b.WriteString(part)
		m := literalSuffix.FindStringSubmatch(part)
		if m == nil {
			break
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > maxLiteral {
			return "", fmt.Errorf("bad literal size in %q", part)
		}
		lit := make([]byte, n)
		if _, err := io.ReadFull(c.r, lit); err != nil {
			return "", err
		}
		b.WriteString("\r\n")
		b.Write(lit)
	}
	line := b.String()
	c.log = append(c.log, strings.ToUpper(c.name)+" S: "+line)
	return line, nil
}

// expect reads the next line and fails t unless it matches the regular
// expression re in full.
func (c *conn) expect(re string) string {
	c.t.Helper()
	line := c.readLine(lineTimeout)
	if !regexp.MustCompile(`^(?s:` + re + `)$`).MatchString(line) {
		c.t.Fatalf("%s: got %q, want a line matching %q", c.name, line, re)
	}
	return line
}

// waitFor reads lines until one matches re in full and returns it; it
// fails t on a tagged response, or when nothing matched within timeout.
// Skipped lines are in the transcript.
func (c *conn) waitFor(re string, timeout time.Duration) string {
	c.t.Helper()
	rx := regexp.MustCompile(`^(?s:` + re + `)$`)
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			c.t.Fatalf("%s: no line matching %q within %v", c.name, re, timeout)
		}
		line, err := c.tryReadLine(left)
		if err != nil {
			c.t.Fatalf("%s: no line matching %q within %v: %v", c.name, re, timeout, err)
		}
		if rx.MatchString(line) {
			return line
		}
		if !strings.HasPrefix(line, "* ") && !strings.HasPrefix(line, "+") {
			c.t.Fatalf("%s: tagged response %q while waiting for %q", c.name, line, re)
		}
	}
}

// result is a completed command: its untagged lines and tagged status.
type result struct {
	untagged []string
	status   string // "OK", "NO" or "BAD"
	text     string // the tagged line after the status
}

// has reports whether an untagged line matches re in full.
func (r result) has(re string) bool {
	rx := regexp.MustCompile(`^(?s:` + re + `)$`)
	for _, l := range r.untagged {
		if rx.MatchString(l) {
			return true
		}
	}
	return false
}

// nextTag returns a fresh tag.
func (c *conn) nextTag() string {
	c.tag++
	return c.name + strconv.Itoa(c.tag)
}

// run sends a tagged command and reads until its tagged response.
func (c *conn) run(command string) result {
	c.t.Helper()
	tag := c.nextTag()
	c.send(tag + " " + command)
	return c.readResult(tag)
}

// readResult reads untagged lines until the tagged response for tag.
func (c *conn) readResult(tag string) result {
	c.t.Helper()
	var r result
	for {
		line := c.readLine(lineTimeout)
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			r.status, r.text, _ = strings.Cut(rest, " ")
			r.status = strings.ToUpper(r.status)
			return r
		}
		if strings.HasPrefix(line, "+") {
			c.t.Fatalf("%s: unexpected continuation request %q", c.name, line)
		}
		r.untagged = append(r.untagged, line)
	}
}

// cmd is run that fails t unless the command completed with OK.
func (c *conn) cmd(command string) result {
	c.t.Helper()
	r := c.run(command)
	if r.status != "OK" {
		c.t.Fatalf("%s: %s: %s %s", c.name, command, r.status, r.text)
	}
	return r
}

// appendMsg APPENDs msg with a synchronising literal and returns the result.
func (c *conn) appendMsg(mailbox, flags, msg string) result {
	c.t.Helper()
	tag := c.nextTag()
	if flags != "" {
		flags = " (" + flags + ")"
	}
	c.send(fmt.Sprintf("%s APPEND %s%s {%d}", tag, mailbox, flags, len(msg)))
	c.expect(`\+.*`)
	c.sendRaw(msg)
	c.send("")
	r := c.readResult(tag)
	if r.status != "OK" {
		c.t.Fatalf("%s: APPEND: %s %s", c.name, r.status, r.text)
	}
	return r
}
