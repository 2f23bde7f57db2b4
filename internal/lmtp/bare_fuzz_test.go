package lmtp

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// chunkConn is a net.Conn that reads data in pieces of the given sizes
// and records what is written to it.
type chunkConn struct {
	data   []byte
	sizes  []byte
	wrote  bytes.Buffer
	closed bool
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n = min(n, int(c.sizes[0])+1)
		c.sizes = c.sizes[1:]
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}
func (c *chunkConn) Write(p []byte) (int, error)      { return c.wrote.Write(p) }
func (c *chunkConn) Close() error                     { c.closed = true; return nil }
func (c *chunkConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *chunkConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *chunkConn) SetDeadline(time.Time) error      { return nil }
func (c *chunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *chunkConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzBareConn feeds arbitrary client bytes, cut at arbitrary places,
// through bareConn, answering every DATA line with 354 as a server would.
// It must not panic or lose bytes: everything read comes out, in order,
// with only bare RCPT recipients given bareDomain.
func FuzzBareConn(f *testing.F) {
	for _, seed := range []string{
		"LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<alice>\r\nDATA\r\nRCPT TO:<bob>\r\n.\r\nQUIT\r\n",
		"RCPT TO:<Postmaster>\r\nBDAT 5 LAST\r\nRCPT\r\nNOOP\r\n",
		"BDAT 99999999999999999999\r\nRCPT TO:<x>\r\n",
		"DATA\n.\nrcpt to: <y>\n",
		"RCPT TO:<a b>\r\nRCPT TO:<\"q\"@x>\r\nRCPT TO:<>\r\nRCPT TO:<c",
	} {
		f.Add([]byte(seed), []byte{3, 0, 200, 7})
	}
	f.Fuzz(func(t *testing.T, in, sizes []byte) {
		if len(in) > 1<<16 {
			return
		}
		raw := &chunkConn{data: in, sizes: sizes}
		c := &bareConn{Conn: raw}
		var out bytes.Buffer
		buf := make([]byte, 37)
		lineStart := 0 // in out, of the line being read
		for range 1 << 20 {
			n, err := c.Read(buf)
			out.Write(buf[:n])
			if n > 0 && bytes.HasSuffix(out.Bytes(), []byte("\n")) {
				// Answer DATA as a server that accepted recipients.
				last := strings.ToUpper(strings.TrimSpace(string(out.Bytes()[lineStart:])))
				if last == "DATA" && c.mode == modeCommand {
					c.Write([]byte("354 go ahead\r\n"))
				}
			}
			if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
				lineStart = out.Len() - n + i + 1
			}
			if err != nil {
				break
			}
		}
		got := strings.ReplaceAll(out.String(), "@"+bareDomain, "")
		if got != string(in) && !strings.Contains(string(in), bareDomain) {
			t.Fatalf("bytes changed:\n in %q\nout %q", in, out.String())
		}
	})
}
