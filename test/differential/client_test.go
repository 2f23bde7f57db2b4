package differential

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// The client here is deliberately raw: it writes commands as given and
// returns every response exactly as the server sent it, literals
// included, so the comparison sees the servers' own bytes. A library
// client would re-format strings and lose the difference between a
// quoted string and a literal.

// maxResponse bounds one response (line plus literals) the client reads.
const maxResponse = 64 << 20

// ioTimeout bounds every exchange with a server.
const ioTimeout = 3 * time.Minute

// client is one IMAP connection.
type client struct {
	tg   target
	conn net.Conn
	r    *bufio.Reader
	next int // tag counter

	reconnects int // by pipelineReconnect
}

// result is the outcome of one tagged command.
type result struct {
	Status   string   // "OK", "NO" or "BAD"
	Text     string   // the rest of the tagged line
	Untagged [][]byte // untagged responses in arrival order, raw
}

// dial connects to tg, reads the greeting and logs in.
func dial(tg target) (*client, error) {
	conn, err := net.DialTimeout("tcp", tg.Addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c := &client{tg: tg, conn: conn, r: bufio.NewReaderSize(conn, 1<<16)}
	conn.SetDeadline(time.Now().Add(ioTimeout))
	greet, err := c.readResponse()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !bytes.HasPrefix(greet, []byte("* OK")) {
		conn.Close()
		return nil, fmt.Errorf("greeting: %q", greet)
	}
	res, err := c.run([]byte("LOGIN " + quote(tg.User) + " " + quote(tg.Pass)))
	if err == nil && res.Status != "OK" {
		err = fmt.Errorf("LOGIN: %s %s", res.Status, res.Text)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// quote returns s as an IMAP quoted string.
func quote(s string) string { return strconv.Quote(s) }

func (c *client) Close() error { return c.conn.Close() }

// run sends one command and waits for its completion; all untagged
// responses before it are in its result.
func (c *client) run(cmd []byte) (result, error) {
	rs, untagged, err := c.pipeline([][]byte{cmd})
	if err != nil {
		return result{}, err
	}
	rs[0].Untagged = untagged
	return rs[0], nil
}

// pipeline sends all commands at once (they must not need a
// continuation: use LITERAL+ for literals) and returns their results,
// by command, and every untagged response, in arrival order. A result
// has an empty Status when its command did not complete (on error).
//
// Untagged responses cannot be attributed to a command: Dovecot runs
// pipelined FETCH commands in parallel and interleaves their responses.
// Callers match FETCH responses by sequence number and item name.
func (c *client) pipeline(cmds [][]byte) ([]result, [][]byte, error) {
	c.conn.SetDeadline(time.Now().Add(ioTimeout))
	tags := make(map[string]int, len(cmds))
	names := make([]string, len(cmds))
	for i := range cmds {
		c.next++
		names[i] = "t" + strconv.Itoa(c.next)
		tags[names[i]] = i
	}
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(c.conn, 1<<16)
		for i, cmd := range cmds {
			w.WriteString(names[i] + " ")
			w.Write(cmd)
			if _, err := w.WriteString("\r\n"); err != nil {
				werr <- err
				return
			}
		}
		werr <- w.Flush()
	}()
	out := make([]result, len(cmds))
	var untagged [][]byte
	for done := 0; done < len(cmds); {
		resp, err := c.readResponse()
		if err != nil {
			c.conn.Close() // stops the writer too
			return out, untagged, errors.Join(err, drain(werr))
		}
		if resp[0] == '*' {
			untagged = append(untagged, resp)
			continue
		}
		if resp[0] == '+' {
			continue
		}
		tag, rest, _ := cut(string(bytes.TrimRight(resp, "\r\n")))
		i, ok := tags[tag]
		if !ok || out[i].Status != "" {
			c.conn.Close()
			return out, untagged, errors.Join(fmt.Errorf("unexpected response %q", trunc(resp)), drain(werr))
		}
		out[i].Status, out[i].Text, _ = cut(rest)
		done++
	}
	return out, untagged, drain(werr)
}

func drain(werr chan error) error {
	select {
	case err := <-werr:
		return err
	case <-time.After(ioTimeout):
		return errors.New("writer did not finish")
	}
}

func cut(s string) (first, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func trunc(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// readResponse reads one response: a line, and for every literal the
// line announces ("{n}" or "~{n}" at its end), the literal and the rest
// of the line after it. The CRLF ending the response is kept.
func (c *client) readResponse() ([]byte, error) {
	var buf []byte
	for {
		line, err := c.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			buf = append(buf, line...)
			if len(buf) > maxResponse {
				return nil, errors.New("response too long")
			}
			continue
		}
		buf = append(buf, line...)
		if err != nil {
			return nil, err
		}
		n, ok := literalLen(buf)
		if !ok {
			return buf, nil
		}
		if n < 0 || len(buf)+int(n) > maxResponse {
			return nil, fmt.Errorf("literal of %d bytes", n)
		}
		start := len(buf)
		buf = append(buf, make([]byte, n)...)
		if _, err := io.ReadFull(c.r, buf[start:]); err != nil {
			return nil, err
		}
	}
}

// literalLen reports whether buf (ending in CRLF) ends with a literal
// announcement "{n}" and returns n.
func literalLen(buf []byte) (int64, bool) {
	b := bytes.TrimSuffix(buf, []byte("\r\n"))
	if len(b) == len(buf) || len(b) < 3 || b[len(b)-1] != '}' {
		return 0, false
	}
	i := bytes.LastIndexByte(b, '{')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[i+1:len(b)-1]), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// maxReconnects bounds how often pipelineReconnect dials again.
const maxReconnects = 100

// statusDisconnected is the result status of a command the server
// answered by closing the connection.
const statusDisconnected = "DISCONNECTED"

// pipelineReconnect is pipeline for commands on the selected INBOX that a
// server may answer by disconnecting (Dovecot does so when it finds
// broken base64 while answering BINARY.SIZE). The first command that
// had not completed when the connection broke gets the status
// statusDisconnected; the other incomplete ones run again on a new
// connection.
func (c *client) pipelineReconnect(cmds [][]byte) ([]result, [][]byte, error) {
	out := make([]result, len(cmds))
	var untagged [][]byte
	todo := make([]int, len(cmds)) // indexes into cmds
	for i := range todo {
		todo[i] = i
	}
	for len(todo) > 0 {
		batch := make([][]byte, len(todo))
		for j, i := range todo {
			batch[j] = cmds[i]
		}
		rs, u, err := c.pipeline(batch)
		untagged = append(untagged, u...)
		var again []int
		for j, i := range todo {
			if rs[j].Status != "" {
				out[i] = rs[j]
			} else {
				again = append(again, i)
			}
		}
		if err == nil {
			break
		}
		if c.reconnects++; c.reconnects > maxReconnects {
			return out, untagged, fmt.Errorf("%s: more than %d disconnects; last: %w", c.tg.Name, maxReconnects, err)
		}
		if len(again) > 0 {
			out[again[0]] = result{Status: statusDisconnected, Text: err.Error()}
			again = again[1:]
		}
		todo = again
		c.conn.Close()
		nc, err := dial(c.tg)
		if err != nil {
			return out, untagged, err
		}
		r, err := nc.run([]byte("SELECT INBOX"))
		if err == nil && r.Status != "OK" {
			err = fmt.Errorf("SELECT: %s %s", r.Status, r.Text)
		}
		if err != nil {
			return out, untagged, err
		}
		c.conn, c.r, c.next = nc.conn, nc.r, nc.next
	}
	return out, untagged, nil
}
