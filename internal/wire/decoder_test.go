package wire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/imap"
)

// harness drives a decoder over scripted client input and records the
// continuation requests the decoder asks the session to send.
type harness struct {
	d     *Decoder
	r     *bufio.Reader
	sent  strings.Builder // continuation requests, as written to the client
	gated *gatedReader
}

func newHarness(in string, lim Limits) *harness {
	h := &harness{}
	h.r = bufio.NewReader(strings.NewReader(in))
	h.d = NewDecoder(h.r, func(text string) error {
		h.sent.WriteString("+ " + text + "\r\n")
		return nil
	}, lim)
	return h
}

// rest returns the input the decoder has not consumed.
func (h *harness) rest() string {
	b, _ := io.ReadAll(h.r)
	return string(b)
}

// gatedReader models a client that sends its input in segments and sends
// segment i+1 only after receiving a continuation request (a synchronizing
// literal): reading past a closed gate is an error.
type gatedReader struct {
	segs []string
	cur  int // segment being read
	open int // segments released so far
}

var errGate = errors.New("read past the gate: the client is waiting for a continuation")

func (g *gatedReader) Read(p []byte) (int, error) {
	for g.cur < len(g.segs) && g.segs[g.cur] == "" {
		g.cur++
	}
	if g.cur == len(g.segs) {
		return 0, io.EOF
	}
	if g.cur >= g.open {
		return 0, errGate
	}
	n := copy(p, g.segs[g.cur])
	g.segs[g.cur] = g.segs[g.cur][n:]
	return n, nil
}

// send has the client send s now.
func (g *gatedReader) send(s string) {
	g.segs = append(g.segs, s)
	g.open = len(g.segs)
}

// newGated returns a harness whose client sends segs[0] at once and each
// further segment only after a continuation request.
func newGated(lim Limits, segs ...string) *harness {
	g := &gatedReader{segs: segs, open: 1}
	h := &harness{gated: g}
	h.r = bufio.NewReader(g)
	h.d = NewDecoder(h.r, func(text string) error {
		h.sent.WriteString("+ " + text + "\r\n")
		g.open++
		return nil
	}, lim)
	return h
}

func wantErr(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	return e
}

func TestTagAndName(t *testing.T) {
	tests := []struct {
		in      string
		tag     string
		name    string
		uid     bool
		errTag  string // for errors
		errText string
	}{
		{in: "a1 NOOP\r\n", tag: "a1", name: "NOOP"},
		{in: "A.1] noop\r\n", tag: "A.1]", name: "NOOP"},
		{in: "x capability\n", tag: "x", name: "CAPABILITY"}, // bare LF accepted
		{in: "t uid fetch 1 FLAGS\r\n", tag: "t", name: "FETCH", uid: true},
		{in: "t UID Expunge 1:5\r\n", tag: "t", name: "EXPUNGE", uid: true},
		{in: "+a NOOP\r\n", errTag: "", errText: "tag"},
		{in: "\r\n", errTag: "", errText: "tag"},
		{in: " NOOP\r\n", errTag: "", errText: "tag"},
		{in: "(a NOOP\r\n", errTag: "", errText: "tag"},
		{in: "a*b NOOP\r\n", errTag: "a", errText: "tag"},
		{in: "a\r\n", errTag: "a", errText: "missing command name"},
		{in: "a FROB\r\n", errTag: "a", errText: "unknown command FROB"},
		{in: "a UID LIST\r\n", errTag: "a", errText: "UID LIST is not a command"},
		{in: "a UID\r\n", errTag: "a", errText: "missing"},
		{in: "a NOOP extra\r\n", errTag: "a", errText: "unexpected extra arguments"},
		{in: "a NOOP  \r\n", errTag: "a", errText: "unexpected extra arguments"},
		{in: "a NOOP\rx\r\n", errTag: "a", errText: "CR not followed by LF"},
		{in: "a EXPUNGE 1\r\n", errTag: "a", errText: "extra"},
		{in: "a UID EXPUNGE\r\n", errTag: "a", errText: "missing"},
	}
	for _, tt := range tests {
		h := newHarness(tt.in+"z NOOP\r\n", DefaultLimits())
		cmd, err := h.d.ReadCommand()
		if tt.errText != "" {
			if err == nil {
				t.Errorf("%q: got %+v, want error", tt.in, cmd)
				continue
			}
			e := wantErr(t, err)
			if e.Tag != tt.errTag || e.Kind != "BAD" || !strings.Contains(e.Text, tt.errText) || e.Fatal {
				t.Errorf("%q: error %+v, want tag %q text containing %q", tt.in, e, tt.errTag, tt.errText)
			}
		} else if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		} else if cmd.Tag != tt.tag || cmd.Name != tt.name || cmd.UID != tt.uid {
			t.Errorf("%q: got %+v", tt.in, cmd)
		}
		// The decoder is back in step: the next command parses.
		next, err := h.d.ReadCommand()
		if err != nil || next.Tag != "z" || next.Name != "NOOP" {
			t.Errorf("%q: next command = %+v, %v; want z NOOP", tt.in, next, err)
		}
	}
}

func TestEOF(t *testing.T) {
	h := newHarness("", DefaultLimits())
	if _, err := h.d.ReadCommand(); err != io.EOF {
		t.Errorf("empty input: err = %v, want io.EOF", err)
	}
	h = newHarness("a LOGIN joe", DefaultLimits())
	if _, err := h.d.ReadCommand(); err != io.ErrUnexpectedEOF {
		t.Errorf("truncated command: err = %v, want io.ErrUnexpectedEOF", err)
	}
	h = newHarness("a LOGIN joe {10}\r\nabc", DefaultLimits())
	if _, err := h.d.ReadCommand(); err != io.ErrUnexpectedEOF {
		t.Errorf("truncated literal: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestQuotedAndLiteralStrings(t *testing.T) {
	tests := []struct {
		in         string
		user, pass string
		errText    string
	}{
		{in: `a LOGIN joe "se cr\"et\\"`, user: "joe", pass: `se cr"et\`},
		{in: `a LOGIN "" ""`, user: "", pass: ""},
		{in: "a LOGIN {3+}\r\njoe {0}\r\n\r\n", user: "joe", pass: ""},
		{in: "a LOGIN joe {4+}\r\na\r\nb", user: "joe", pass: "a\r\nb"},
		{in: "a LOGIN joe \"x\x00y\"", errText: "unterminated quoted string"},
		{in: `a LOGIN joe "abc`, errText: "unterminated quoted string"},
		{in: `a LOGIN joe "a\b"`, errText: "invalid escape"},
		{in: `a LOGIN joe`, errText: "missing arguments"},
		{in: `a LOGIN joe pa(ss`, errText: "expected end of line"},
		{in: "a LOGIN joe {3}x\r\n", errText: "literal header must end the line"},
		{in: "a LOGIN joe {x}\r\n", errText: "literal size"},
		{in: "a LOGIN joe ~{3+}\r\nabc", errText: "literal8 is only allowed in APPEND"},
		{in: "a LOGIN joe {99999999999999999999}\r\n", errText: "too large"},
	}
	for _, tt := range tests {
		in := tt.in
		if !strings.HasSuffix(in, "\n") {
			in += "\r\n"
		}
		h := newHarness(in+"z NOOP\r\n", DefaultLimits())
		cmd, err := h.d.ReadCommand()
		if tt.errText != "" {
			if err == nil {
				t.Errorf("%q: got %+v, want error", tt.in, cmd.Args)
				continue
			}
			if e := wantErr(t, err); !strings.Contains(e.Text, tt.errText) || e.Tag != "a" {
				t.Errorf("%q: error %+v, want text containing %q", tt.in, e, tt.errText)
			}
		} else if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		} else if a := cmd.Args.(*imap.LoginArgs); a.User != tt.user || a.Password != tt.pass {
			t.Errorf("%q: got %+v", tt.in, a)
		}
		next, err := h.d.ReadCommand()
		if err != nil || next.Tag != "z" {
			t.Errorf("%q: next command = %+v, %v; want z NOOP", tt.in, next, err)
		}
	}
}

func TestBufferedAfterStartTLS(t *testing.T) {
	h := newHarness("a STARTTLS\r\nb LOGIN injected x\r\n", DefaultLimits())
	if _, err := h.d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if h.d.Buffered() == 0 {
		t.Error("Buffered() = 0 with a pipelined command after STARTTLS")
	}
	h = newHarness("a STARTTLS\r\n", DefaultLimits())
	h.d.ReadCommand()
	if n := h.d.Buffered(); n != 0 {
		t.Errorf("Buffered() = %d, want 0", n)
	}
}
