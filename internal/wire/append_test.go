package wire

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// readAppend runs the session's side of an APPEND: it reads every message
// and returns their descriptions and bodies.
func readAppend(t *testing.T, h *harness) ([]imap.AppendMessage, []string) {
	t.Helper()
	var msgs []imap.AppendMessage
	var bodies []string
	for {
		m, err := h.d.ReadAppendMessage()
		if err != nil {
			t.Fatalf("ReadAppendMessage: %v", err)
		}
		if m == nil {
			return msgs, bodies
		}
		msgs = append(msgs, *m)
		r, err := h.d.AppendBody()
		if err != nil {
			t.Fatalf("AppendBody: %v", err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("reading body: %v", err)
		}
		bodies = append(bodies, string(b))
	}
}

func TestAppendSync(t *testing.T) {
	h := newGated(DefaultLimits(),
		`a APPEND inbox (\Seen $Work) " 5-Mar-2024 07:08:09 -0430" {5}`+"\r\n",
		"hello\r\n")
	cmd, err := h.d.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	if a := cmd.Args.(*imap.AppendArgs); a.Mailbox != "INBOX" {
		t.Errorf("mailbox %q", a.Mailbox)
	}
	m, err := h.d.ReadAppendMessage()
	if err != nil {
		t.Fatal(err)
	}
	want := imap.AppendMessage{Flags: []string{`\Seen`, "$Work"}, Size: 5,
		Date: time.Date(2024, 3, 5, 7, 8, 9, 0, time.FixedZone("", -(4*3600+30*60)))}
	if !reflect.DeepEqual(m.Flags, want.Flags) || !m.Date.Equal(want.Date) || m.Size != 5 || m.Binary {
		t.Errorf("message %+v, want %+v", m, want)
	}
	if _, off := m.Date.Zone(); off != -(4*3600 + 30*60) {
		t.Errorf("zone offset %d", off)
	}
	// No continuation until the session accepts the message.
	if h.sent.Len() != 0 {
		t.Fatalf("continuation sent before AppendBody: %q", h.sent.String())
	}
	r, err := h.d.AppendBody()
	if err != nil {
		t.Fatal(err)
	}
	if got := h.sent.String(); got != "+ Ready for literal data\r\n" {
		t.Errorf("sent %q", got)
	}
	if b, err := io.ReadAll(r); err != nil || string(b) != "hello" {
		t.Errorf("body %q, %v", b, err)
	}
	if m, err := h.d.ReadAppendMessage(); m != nil || err != nil {
		t.Errorf("end of APPEND: %+v, %v", m, err)
	}
	if _, err := h.d.ReadCommand(); err != io.EOF {
		t.Errorf("after APPEND: %v, want EOF", err)
	}
}

// RFC 3502 MULTIAPPEND with non-synchronizing literals and a literal8.
func TestMultiAppend(t *testing.T) {
	h := newHarness("a APPEND Drafts {3+}\r\nabc ~{2+}\r\n\x00\x01 (\\draft) \"15-Jan-2024 23:59:60 +0000\" {1+}\r\nz\r\nb NOOP\r\n", DefaultLimits())
	if _, err := h.d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	msgs, bodies := readAppend(t, h)
	if !reflect.DeepEqual(bodies, []string{"abc", "\x00\x01", "z"}) {
		t.Errorf("bodies %q", bodies)
	}
	if len(msgs) != 3 || msgs[0].Binary || !msgs[1].Binary || msgs[2].Flags[0] != `\Draft` ||
		!msgs[2].Date.Equal(time.Date(2024, 1, 15, 23, 59, 59, 0, time.UTC)) || !msgs[0].Date.IsZero() {
		t.Errorf("messages %+v", msgs)
	}
	if h.sent.Len() != 0 {
		t.Errorf("sent %q", h.sent.String())
	}
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next: %+v, %v", cmd, err)
	}
}

func TestAppendTooBig(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxAppend = 10
	// Synchronizing: refused before the continuation; the command is over.
	h := newGated(lim, "a APPEND x {11}\r\n")
	if _, err := h.d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	_, err := h.d.ReadAppendMessage()
	if e := wantErr(t, err); e.Tag != "a" || e.Kind != "NO" || e.Code != "TOOBIG" || e.Fatal {
		t.Errorf("error %+v", e)
	}
	if h.sent.Len() != 0 {
		t.Errorf("sent %q", h.sent.String())
	}
	h.gated.send("b NOOP\r\n")
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next: %+v, %v", cmd, err)
	}

	// Non-synchronizing: the literal and the rest of the command are skipped.
	h = newHarness("a APPEND x {3+}\r\nabc {11+}\r\n01234567890 {2+}\r\nxy\r\nb NOOP\r\n", lim)
	if _, err := h.d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.d.ReadAppendMessage(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.d.AppendBody(); err != nil {
		t.Fatal(err)
	}
	_, err = h.d.ReadAppendMessage()
	if e := wantErr(t, err); e.Kind != "NO" || e.Code != "TOOBIG" || e.Fatal {
		t.Errorf("error %+v", e)
	}
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next: %+v, %v", cmd, err)
	}

	// Absurdly large non-synchronizing literal: fatal.
	h = newHarness("a APPEND x {999999999999+}\r\n", lim)
	h.d.ReadCommand()
	_, err = h.d.ReadAppendMessage()
	if e := wantErr(t, err); !e.Fatal || e.Code != "TOOBIG" {
		t.Errorf("error %+v, want fatal", e)
	}
}

func TestRejectAppend(t *testing.T) {
	// Synchronizing: nothing more comes from the client.
	h := newGated(DefaultLimits(), "a APPEND x {5}\r\n")
	h.d.ReadCommand()
	if _, err := h.d.ReadAppendMessage(); err != nil {
		t.Fatal(err)
	}
	if err := h.d.RejectAppend(); err != nil {
		t.Fatal(err)
	}
	if h.sent.Len() != 0 {
		t.Errorf("sent %q", h.sent.String())
	}
	h.gated.send("b NOOP\r\n")
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next: %+v, %v", cmd, err)
	}

	// Non-synchronizing: this message and the following ones are skipped.
	h = newHarness("a APPEND x {5+}\r\nhello {3+}\r\nabc\r\nb NOOP\r\n", DefaultLimits())
	h.d.ReadCommand()
	if _, err := h.d.ReadAppendMessage(); err != nil {
		t.Fatal(err)
	}
	if err := h.d.RejectAppend(); err != nil {
		t.Fatal(err)
	}
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next: %+v, %v", cmd, err)
	}
}

func TestSkipCommand(t *testing.T) {
	// A storage error after the first message of a MULTIAPPEND: the body
	// was half read; the rest is skipped up to a synchronizing literal.
	h := newGated(DefaultLimits(), "a APPEND x {5+}\r\nhello {3+}\r\nabc {4}\r\n")
	h.d.ReadCommand()
	h.d.ReadAppendMessage()
	r, _ := h.d.AppendBody()
	io.ReadFull(r, make([]byte, 2))
	if err := h.d.SkipCommand(); err != nil {
		t.Fatal(err)
	}
	if h.sent.Len() != 0 {
		t.Errorf("sent %q", h.sent.String())
	}
	h.gated.send("b NOOP\r\n")
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next: %+v, %v", cmd, err)
	}

	// The session gave up right after the mailbox name (e.g. TRYCREATE):
	// ReadCommand skips the abandoned APPEND by itself.
	h = newHarness("a APPEND nosuch (\\Seen) {3+}\r\nabc\r\nb NOOP\r\n", DefaultLimits())
	h.d.ReadCommand()
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next: %+v, %v", cmd, err)
	}

	// A body the session did not read to the end is drained.
	h = newHarness("a APPEND x {5+}\r\nhello {2+}\r\nhi\r\n", DefaultLimits())
	h.d.ReadCommand()
	h.d.ReadAppendMessage()
	h.d.AppendBody()
	m, err := h.d.ReadAppendMessage()
	if err != nil || m == nil || m.Size != 2 {
		t.Fatalf("second message %+v, %v", m, err)
	}
}

func TestAppendErrors(t *testing.T) {
	tests := []struct{ in, text string }{
		{"a APPEND x", "needs a message literal"},
		{"a APPEND x (\\Seen)", "missing"},
		{"a APPEND x \\Seen {1+}\r\nx", "expected the message literal"},
		{"a APPEND x (\\Seen) (\\Seen) {1+}\r\nx", "expected the message literal"},
		{`a APPEND x "1-Foo-2024 00:00:00 +0000" {1+}` + "\r\nx", "invalid month"},
		{`a APPEND x "01-Jan-2024 24:00:00 +0000" {1+}` + "\r\nx", "invalid time"},
		{`a APPEND x "01-Jan-2024 1:00:00 +0000" {1+}` + "\r\nx", "hh:mm:ss"},
		{`a APPEND x "01-Jan-2024 01:00:00 0000" {1+}` + "\r\nx", "time zone"},
		{`a APPEND x "01-Jan-2024 01:00:00 +00" {1+}` + "\r\nx", "time zone"},
		{`a APPEND x "01-Jan-2024 01:00:00 +0060" {1+}` + "\r\nx", "minutes"},
		{`a APPEND x "01-Jan-2024 01:00:00 +0000 {1+}` + "\r\nx", "closing quote"},
		{"a APPEND x {1+}x\r\n", "literal header must end the line"},
		{"a APPEND x {1+}\r\nx junk", "expected the message literal"},
	}
	for _, tt := range tests {
		in := tt.in
		if !strings.HasSuffix(in, "\n") {
			in += "\r\n"
		}
		h := newHarness(in+"z NOOP\r\n", DefaultLimits())
		if _, err := h.d.ReadCommand(); err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		var err error
		for i := 0; i < 3; i++ {
			var m *imap.AppendMessage
			if m, err = h.d.ReadAppendMessage(); err != nil || m == nil {
				break
			}
			r, _ := h.d.AppendBody()
			io.Copy(io.Discard, r)
		}
		if err == nil {
			t.Errorf("%q: no error", tt.in)
			continue
		}
		if e := wantErr(t, err); e.Tag != "a" || e.Kind != "BAD" || !strings.Contains(e.Text, tt.text) {
			t.Errorf("%q: error %+v, want %q", tt.in, e, tt.text)
		}
		if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "z" {
			t.Errorf("%q: next: %+v, %v", tt.in, cmd, err)
		}
	}
}

func TestAppendTruncatedBody(t *testing.T) {
	h := newHarness("a APPEND x {10+}\r\nabc", DefaultLimits())
	h.d.ReadCommand()
	h.d.ReadAppendMessage()
	r, _ := h.d.AppendBody()
	if _, err := io.ReadAll(r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestAppendOutOfOrder(t *testing.T) {
	h := newHarness("a NOOP\r\n", DefaultLimits())
	h.d.ReadCommand()
	if _, err := h.d.ReadAppendMessage(); err == nil {
		t.Error("ReadAppendMessage outside APPEND: no error")
	}
	if _, err := h.d.AppendBody(); err == nil {
		t.Error("AppendBody without a message: no error")
	}
	if err := h.d.RejectAppend(); err == nil {
		t.Error("RejectAppend without a message: no error")
	}
}
