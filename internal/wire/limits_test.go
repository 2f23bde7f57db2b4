package wire

import (
	"io"
	"runtime"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/imap"
)

// Continuation requests are byte-exact and come only before a synchronizing
// literal the server accepts; the gated client proves the decoder never
// reads the literal before asking for it.
func TestContinuations(t *testing.T) {
	h := newGated(DefaultLimits(), "a LOGIN {3}\r\n", "joe {6}\r\n", "secret\r\n")
	cmd, err := h.d.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	if a := cmd.Args.(*imap.LoginArgs); a.User != "joe" || a.Password != "secret" {
		t.Errorf("got %+v", a)
	}
	if got, want := h.sent.String(), "+ Ready for literal data\r\n+ Ready for literal data\r\n"; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}

	// Non-synchronizing literals (RFC 7888): no continuation at all.
	h = newGated(DefaultLimits(), "a LOGIN {3+}\r\njoe {6+}\r\nsecret\r\n")
	if _, err := h.d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	if h.sent.Len() != 0 {
		t.Errorf("sent %q for non-synchronizing literals", h.sent.String())
	}
}

func TestSyncLiteralTooBig(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxLiteral = 10
	// The client sends the header and waits; the decoder must answer
	// without a continuation and without reading further.
	h := newGated(lim, "a LOGIN joe {11}\r\n")
	_, err := h.d.ReadCommand()
	e := wantErr(t, err)
	if e.Tag != "a" || e.Kind != "BAD" || e.Code != "TOOBIG" || e.Fatal {
		t.Errorf("error %+v, want a BAD [TOOBIG]", e)
	}
	if h.sent.Len() != 0 {
		t.Errorf("sent %q, want no continuation", h.sent.String())
	}
	// The command is over: the client's next command is read normally.
	h.gated.send("b NOOP\r\n")
	if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "b" {
		t.Errorf("next command = %+v, %v", cmd, err)
	}
}

func TestLimits(t *testing.T) {
	small := DefaultLimits()
	small.MaxLine = 40
	small.MaxLiteral = 10
	small.MaxCommand = 15
	small.MaxDepth = 4
	small.MaxRanges = 3
	small.MaxMailboxName = 8
	big := strings.Repeat("x", 2000)
	tests := []struct {
		name  string
		in    string
		code  string
		text  string
		fatal bool
	}{
		{"line too long", "a LOGIN " + big + " y\r\n", "TOOBIG", "command line too long", false},
		{"line too long before a non-sync literal", "a LOGIN " + big + " {5+}\r\nhello\r\n", "TOOBIG", "too long", false},
		{"line too long with sync literal", "a LOGIN " + big + " {5}\r\n", "TOOBIG", "too long", false},
		{"non-sync literal too big", "a LOGIN joe {11+}\r\n01234567890\r\n", "TOOBIG", "literal", false},
		{"non-sync literal absurd", "a LOGIN joe {99999999999+}\r\n", "TOOBIG", "literal", true},
		{"too much literal data in one command", "a LOGIN {10+}\r\n0123456789 {10+}\r\n0123456789\r\n", "TOOBIG", "per command", false},
		{"too many ranges", "a FETCH 1,2,3,4 FLAGS\r\n", "TOOBIG", "ranges", false},
		{"mailbox name too long", "a SELECT abcdefghi\r\n", "TOOBIG", "mailbox name too long", false},
		{"pattern too long", "a LIST \"\" abcdefghi*\r\n", "TOOBIG", "too long", false},
		{"nesting", "a SEARCH ((((SEEN))))\r\n", "", "nested too deeply", false},
		{"NOT chain", "a SEARCH NOT NOT NOT NOT SEEN\r\n", "", "nested too deeply", false},
		{"OR chain", "a SEARCH OR 1 OR 1 OR 1 OR 1 1\r\n", "", "nested too deeply", false},
		{"section depth", "a FETCH 1 BODY[1.2.3.4.5]\r\n", "", "too deep", false},
		{"select param nesting", "a SELECT x (X-FOO (1 (2 (3 (4)))))\r\n", "", "nested too deeply", false},
	}
	for _, tt := range tests {
		h := newHarness(tt.in+"z NOOP\r\n", small)
		_, err := h.d.ReadCommand()
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		e := wantErr(t, err)
		if e.Tag != "a" || e.Kind != "BAD" || e.Code != tt.code || !strings.Contains(e.Text, tt.text) || e.Fatal != tt.fatal {
			t.Errorf("%s: error %+v, want BAD [%s] %q fatal=%v", tt.name, e, tt.code, tt.text, tt.fatal)
		}
		if h.sent.Len() != 0 {
			t.Errorf("%s: sent %q", tt.name, h.sent.String())
		}
		if tt.fatal {
			continue
		}
		if cmd, err := h.d.ReadCommand(); err != nil || cmd.Tag != "z" {
			t.Errorf("%s: next command = %+v, %v; want z NOOP", tt.name, cmd, err)
		}
	}
}

// Literal bytes do not count towards MaxLine.
func TestLiteralsNotCountedInLine(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxLine = 30
	lim.MaxLiteral = 100
	h := newHarness("a LOGIN {100+}\r\n"+strings.Repeat("u", 100)+" p\r\n", lim)
	cmd, err := h.d.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	if u := cmd.Args.(*imap.LoginArgs).User; len(u) != 100 {
		t.Errorf("user of %d bytes", len(u))
	}
}

func TestMailboxNames(t *testing.T) {
	tests := []struct {
		in      string
		utf8    bool
		want    string
		errText string
	}{
		{in: "inbox", want: "INBOX"},
		{in: `"InBoX"`, want: "INBOX"},
		{in: "inbox/Sub", want: "inbox/Sub"}, // only INBOX itself is case-insensitive
		{in: "Entw&APw-rfe", want: "Entwürfe"},
		{in: "{3}\r\na&-", want: "a&"},
		{in: "&AGE-", errText: "modified UTF-7"},
		{in: `"caf` + "\xc3\xa9" + `"`, errText: "modified UTF-7"},
		{in: `"caf` + "\xc3\xa9" + `"`, utf8: true, want: "café"},
		{in: "Entw&APw-rfe", utf8: true, want: "Entw&APw-rfe"},
		{in: "\"\xff\"", utf8: true, errText: "not valid UTF-8"},
		{in: `"a*b"`, want: "a*b"},
		{in: "a*b", errText: "expected end of line"},
		{in: "a]b", want: "a]b"},
	}
	for _, tt := range tests {
		h := newHarness("a DELETE "+tt.in+"\r\n", DefaultLimits())
		h.d.SetUTF8(tt.utf8)
		cmd, err := h.d.ReadCommand()
		if tt.errText != "" {
			if err == nil {
				t.Errorf("%q: got %+v, want error", tt.in, cmd.Args)
			} else if e := wantErr(t, err); !strings.Contains(e.Text, tt.errText) {
				t.Errorf("%q: error %v, want %q", tt.in, e, tt.errText)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if got := cmd.Args.(*imap.MailboxArgs).Mailbox; got != tt.want {
			t.Errorf("%q: mailbox %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadLine(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxLine = 10
	h := newHarness("AGpvZQ==\r\nDONE\n"+strings.Repeat("x", 5000)+"\r\n*\r\n", lim)
	for _, want := range []string{"AGpvZQ==", "DONE"} {
		if got, err := h.d.ReadLine(); err != nil || got != want {
			t.Errorf("ReadLine = %q, %v; want %q", got, err, want)
		}
	}
	_, err := h.d.ReadLine()
	if e := wantErr(t, err); e.Code != "TOOBIG" {
		t.Errorf("long line: %+v", e)
	}
	if got, err := h.d.ReadLine(); err != nil || got != "*" {
		t.Errorf("after a long line: %q, %v", got, err)
	}
	if _, err := h.d.ReadLine(); err == nil {
		t.Error("no error at EOF")
	}
}

// The decoder never allocates from a literal's announced size: a client
// announcing a large literal and sending little costs little memory.
func TestLiteralAllocationFollowsData(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxLiteral = 1 << 30
	lim.MaxCommand = 1 << 30
	in := "a LOGIN {1000000000+}\r\n" + strings.Repeat("x", 100)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	h := newHarness(in, lim)
	if _, err := h.d.ReadCommand(); err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	runtime.ReadMemStats(&ms)
	if got := ms.TotalAlloc - before; got > 1<<20 {
		t.Errorf("allocated %d bytes for 100 bytes of literal data", got)
	}
}

func TestSetLimits(t *testing.T) {
	h := newHarness("a LOGIN joe secret\r\nb LOGIN joe secret\r\n", DefaultLimits())
	if _, err := h.d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	lim.MaxLine = 5
	h.d.SetLimits(lim)
	if _, err := h.d.ReadCommand(); err == nil || wantErr(t, err).Code != "TOOBIG" {
		t.Errorf("after SetLimits: err = %v, want TOOBIG", err)
	}
}
