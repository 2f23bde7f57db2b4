package bench

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLiteralSize(t *testing.T) {
	tests := []struct {
		line string
		n    int64
		ok   bool
	}{
		{"* 1 FETCH (BODY[] {123}", 123, true},
		{"* 1 FETCH (BODY[] {0}", 0, true},
		{"a APPEND INBOX {45+}", 45, true},
		{"* 1 FETCH (BINARY[] ~{7}", 7, true},
		{"* OK done", 0, false},
		{"* OK {}", 0, false},
		{"* OK {-1}", 0, false},
		{"* OK {+1}", 0, false},
		{"* OK {12a}", 0, false},
		{"}", 0, false},
		{"* OK {99999999999999999999}", 0, false},
	}
	for _, tt := range tests {
		n, ok := literalSize([]byte(tt.line))
		if n != tt.n || ok != tt.ok {
			t.Errorf("literalSize(%q) = %d, %v; want %d, %v", tt.line, n, ok, tt.n, tt.ok)
		}
	}
}

func newTestClient(server string) *client {
	c := &client{}
	c.r = bufio.NewReaderSize(readCounter{strings.NewReader(server), &c.read}, 64)
	return c
}

func TestReadLineLiterals(t *testing.T) {
	server := "* 1 FETCH (BODY[] {5}\r\nhello UID 7)\r\n* 2 FETCH (BODY[HEADER] {3}\r\nabc BODY[TEXT] {2}\r\nxy)\r\nb1 OK done\n"
	c := newTestClient(server)
	var lits []string
	line, n, err := c.readLine(func(b []byte) { lits = append(lits, string(b)) })
	if err != nil || string(line) != "* 1 FETCH (BODY[] {5} UID 7)" || n != 5 {
		t.Fatalf("first line %q, %d, %v", line, n, err)
	}
	line, n, err = c.readLine(nil)
	if err != nil || string(line) != "* 2 FETCH (BODY[HEADER] {3} BODY[TEXT] {2})" || n != 5 {
		t.Fatalf("second line %q, %d, %v", line, n, err)
	}
	line, _, err = c.readLine(nil)
	if err != nil || string(line) != "b1 OK done" {
		t.Fatalf("bare-LF line %q, %v", line, err)
	}
	if len(lits) != 1 || lits[0] != "hello" {
		t.Errorf("literals %q", lits)
	}
	if c.read != int64(len(server)) {
		t.Errorf("read %d bytes, want %d", c.read, len(server))
	}
	if _, _, err := c.readLine(nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("at EOF: %v", err)
	}
}

func TestReadLineLimits(t *testing.T) {
	tests := map[string]string{
		"long line":     strings.Repeat("x", maxLine+10) + "\r\n",
		"huge literal":  "* 1 FETCH (BODY[] {999999999999}\r\n",
		"short literal": "* 1 FETCH (BODY[] {10}\r\nabc",
		"no CRLF":       "* OK partial",
	}
	for name, server := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, err := newTestClient(server).readLine(nil); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestWait(t *testing.T) {
	tests := []struct {
		name, server, cmd string
		untagged          int
		status            string // "" for success
	}{
		{"ok", "* 3 EXISTS\r\n* 0 RECENT\r\nb1 OK [READ-WRITE] done\r\n", "SELECT", 2, ""},
		{"no", "b1 NO [NONEXISTENT] no such mailbox\r\n", "SELECT", 0, "NO"},
		{"bad lower case", "b1 bad syntax\r\n", "SELECT", 0, "BAD"},
		{"other tag first", "b0 OK old\r\n* 1 EXISTS\r\nb1 OK done\r\n", "NOOP", 2, ""},
		{"bye", "* BYE shutting down\r\n", "NOOP", 0, "BYE"},
		{"logout", "* BYE Logging out\r\nb1 OK Logout completed.\r\n", "LOGOUT", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(tt.server)
			n := 0
			err := c.wait("b1", tt.cmd, func([]byte) { n++ })
			var se *statusError
			switch {
			case tt.status == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.status != "" && (!errors.As(err, &se) || se.status != tt.status):
				t.Fatalf("error %v, want status %s", err, tt.status)
			}
			if n != tt.untagged {
				t.Errorf("%d untagged lines, want %d", n, tt.untagged)
			}
		})
	}
}

func TestParseCaps(t *testing.T) {
	c := &client{}
	c.parseCaps([]byte("* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] Dovecot ready."))
	if !c.caps["LITERAL+"] || !c.caps["IMAP4REV1"] || c.caps["IDLE"] {
		t.Errorf("caps %v", c.caps)
	}
	c.parseCaps([]byte("* CAPABILITY IMAP4rev2 IDLE"))
	if c.caps["LITERAL+"] || !c.caps["IDLE"] {
		t.Errorf("caps after CAPABILITY %v", c.caps)
	}
	c.parseCaps([]byte("* 3 EXISTS"))
	if !c.caps["IDLE"] {
		t.Error("unrelated line reset the capabilities")
	}
}

func TestResponseParsers(t *testing.T) {
	if s, text, ok := tagged([]byte("b12 ok [READ-WRITE] Select completed"), "b12"); !ok || s != "OK" || text != "[READ-WRITE] Select completed" {
		t.Errorf("tagged = %q %q %v", s, text, ok)
	}
	if _, _, ok := tagged([]byte("b123 OK"), "b12"); ok {
		t.Error("tag prefix matched a longer tag")
	}
	numTests := []struct {
		line string
		n    uint32
		word string
		ok   bool
	}{
		{"* 42 EXISTS", 42, "EXISTS", true},
		{"* 7 fetch (FLAGS ())", 7, "FETCH", true},
		{"* OK still here", 0, "", false},
		{"* 99999999999 EXISTS", 0, "", false},
		{"* 5", 0, "", false},
	}
	for _, tt := range numTests {
		n, w, ok := untaggedNumber([]byte(tt.line))
		if n != tt.n || w != tt.word || ok != tt.ok {
			t.Errorf("untaggedNumber(%q) = %d %q %v", tt.line, n, w, ok)
		}
	}
	searchTests := map[string]int{
		"* SEARCH":           0,
		"* SEARCH 1 5 9":     3,
		"* search 2":         1,
		"* ESEARCH (TAG x)":  -1,
		"* 3 EXISTS":         -1,
		"* SEARCH 4 (MODSEQ": 2,
	}
	for line, want := range searchTests {
		if got := searchCount([]byte(line)); got != want {
			t.Errorf("searchCount(%q) = %d, want %d", line, got, want)
		}
	}
	statusTests := map[string]uint32{
		"* STATUS INBOX (MESSAGES 120)":               120,
		`* STATUS "A b" (UIDNEXT 5 MESSAGES 3)`:       3,
		"* STATUS INBOX (messages 7 UNSEEN 1)":        7,
		"* STATUS INBOX (UIDNEXT 5)":                  0,
		"* STATUS INBOX (MESSAGES x)":                 0,
		"* LIST () \"/\" INBOX":                       0,
		"* STATUS INBOX (MESSAGES 99999999999999999)": 0,
	}
	for line, want := range statusTests {
		if got := statusMessages([]byte(line)); got != want {
			t.Errorf("statusMessages(%q) = %d, want %d", line, got, want)
		}
	}
}

func TestQuoteAndVerb(t *testing.T) {
	if got := quote(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("quote = %s", got)
	}
	verbs := map[string]string{"uid fetch 1:* FLAGS": "UID FETCH", "select INBOX": "SELECT", "": "", "UID": "UID"}
	for in, want := range verbs {
		if got := verb(in); got != want {
			t.Errorf("verb(%q) = %q, want %q", in, got, want)
		}
	}
	c := &client{caps: map[string]bool{"LITERAL+": true}}
	if line, plus := c.appendCmd("INBOX", `\Seen`, 12); line != `APPEND "INBOX" (\Seen) {12+}` || !plus {
		t.Errorf("appendCmd = %q, %v", line, plus)
	}
	c.caps = nil
	if line, plus := c.appendCmd("Bench", "", 3); line != `APPEND "Bench" {3}` || plus {
		t.Errorf("appendCmd = %q, %v", line, plus)
	}
	if err := c.login("a\r\nb", "x"); err == nil {
		t.Error("login accepted a CRLF in the user name")
	}
}

func TestIndexFold(t *testing.T) {
	for _, tt := range []struct {
		b, sub string
		want   int
	}{
		{"* OK [CAPABILITY IMAP4rev1] hi", "[CAPABILITY ", 5},
		{"a1 ok [capability imap4rev2]", "[CAPABILITY ", 6},
		{"* 1 FETCH (BODY[1] {3}", "[CAPABILITY ", -1},
		{"[CAPABILITY", "[CAPABILITY ", -1},
		{"", "[CAPABILITY ", -1},
		{"x[[CAPABILITY ", "[CAPABILITY ", 2},
	} {
		if got := indexFold([]byte(tt.b), tt.sub); got != tt.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", tt.b, tt.sub, got, tt.want)
		}
	}
	for _, tt := range []struct {
		line, tag, status string
		ok                bool
	}{
		{"a1 OK done", "a1", "OK", true},
		{"a1 no [TRYCREATE] x", "a1", "NO", true},
		{"a10 OK done", "a1", "", false},
		{"a1", "a1", "", false},
		{"* 1 EXISTS", "a1", "", false},
	} {
		status, _, ok := tagged([]byte(tt.line), tt.tag)
		if status != tt.status || ok != tt.ok {
			t.Errorf("tagged(%q, %q) = %q, %v", tt.line, tt.tag, status, ok)
		}
	}
}
