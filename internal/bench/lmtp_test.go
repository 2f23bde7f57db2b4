package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCorpusMessage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"mbox line dropped", "From a@b  Thu Aug 22 13:17:22 2002\nSubject: x\n\nbody\n", "Subject: x\r\n\r\nbody\r\n"},
		{"only mbox line", "From a@b  Thu", ""},
		{"From header kept", "From: a@b\n\nx\n", "From: a@b\r\n\r\nx\r\n"},
		{"CRLF kept", "a\r\nb\r\n", "a\r\nb\r\n"},
		{"lone CR", "a\rb\n", "a\r\nb\r\n"},
		{"no final newline", "a\nb", "a\r\nb\r\n"},
		{"blank lines", "\n\n", "\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(corpusMessage([]byte(tt.in))); got != tt.want {
				t.Errorf("corpusMessage(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDotStuff(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ".\r\n"},
		{"a\r\n", "a\r\n.\r\n"},
		{".\r\n", "..\r\n.\r\n"},
		{"a\r\n.b\r\n..c\r\n", "a\r\n..b\r\n...c\r\n.\r\n"},
		{"a.b\r\n", "a.b\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
	}
	for _, tt := range tests {
		if got := string(dotStuff([]byte(tt.in))); got != tt.want {
			t.Errorf("dotStuff(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// unstuff undoes dotStuff the way a server does: it stops at the ".\r\n"
// line and removes one leading dot of the others.
func unstuff(t *testing.T, r *bufio.Reader) []byte {
	t.Helper()
	var out []byte
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			t.Errorf("DATA: %v", err)
			return out
		}
		if string(line) == ".\r\n" {
			return out
		}
		out = append(out, bytes.TrimPrefix(line, []byte("."))...)
	}
}

func TestParseReplyLine(t *testing.T) {
	tests := []struct {
		in   string
		text string
		more bool
		code int
		ok   bool
	}{
		{"250 OK\r\n", "OK", false, 250, true},
		{"250-PIPELINING\r\n", "PIPELINING", true, 250, true},
		{"354\r\n", "", false, 354, true},
		{"550 5.1.1 no\n", "5.1.1 no", false, 550, true},
		{"25\r\n", "", false, 0, false},
		{"abc x\r\n", "", false, 0, false},
		{"250x\r\n", "", false, 0, false},
		{"999 x\r\n", "", false, 0, false},
		{"-25 x\r\n", "", false, 0, false},
	}
	for _, tt := range tests {
		text, more, code, err := parseReplyLine([]byte(tt.in))
		if (err == nil) != tt.ok || text != tt.text || more != tt.more || code != tt.code {
			t.Errorf("parseReplyLine(%q) = %q, %v, %d, %v", tt.in, text, more, code, err)
		}
	}
}

func TestSpread(t *testing.T) {
	s := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	if got := strings.Join(spread(s, 3), ""); got != "adg" {
		t.Errorf("spread(3) = %q, want adg", got)
	}
	if got := len(spread(s, 20)); got != 10 {
		t.Errorf("spread(20) has %d, want 10", got)
	}
}

// writeCorpus writes texts as a corpus under a new directory.
func writeCorpus(t *testing.T, texts []string) string {
	t.Helper()
	dir := t.TempDir()
	for i, text := range texts {
		group := filepath.Join(dir, []string{"easy-ham-1", "spam-1"}[i%2])
		if err := os.MkdirAll(group, 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(map[string]any{"id": i, "text": text})
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(group, string(rune('a'+i))+".json")
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadCorpus(t *testing.T) {
	dir := writeCorpus(t, []string{"From x\nA: 1\n\na\n", "B: 2\n\n.b\n", "C: 3\n\nc\n"})
	msgs, err := loadCorpus(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Path order: easy-ham-1/a, easy-ham-1/c, spam-1/b.
	want := []string{"A: 1\r\n\r\na\r\n", "C: 3\r\n\r\nc\r\n", "B: 2\r\n\r\n.b\r\n"}
	if len(msgs) != len(want) {
		t.Fatalf("got %d messages, want %d", len(msgs), len(want))
	}
	for i := range want {
		if string(msgs[i]) != want[i] {
			t.Errorf("message %d = %q, want %q", i, msgs[i], want[i])
		}
	}
	if msgs, err := loadCorpus(dir, 1); err != nil || len(msgs) != 1 {
		t.Errorf("loadCorpus(1) = %d messages, %v", len(msgs), err)
	}
	if _, err := loadCorpus(t.TempDir(), 10); err == nil {
		t.Error("empty corpus accepted")
	}
	bad := writeCorpus(t, []string{""})
	if _, err := loadCorpus(bad, 10); err == nil {
		t.Error("empty message accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, "spam-1", "z.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadCorpus(dir, 10); err == nil {
		t.Error("malformed JSON accepted")
	}
}

func TestParseFlagsLMTP(t *testing.T) {
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"ok", []string{"--scenario", "lmtp", "--corpus", "/c", "--lmtp-target", "127.0.0.1:24"}, true},
		{"default target", []string{"--scenario", "lmtp", "--corpus", "/c"}, true},
		{"no corpus", []string{"--scenario", "lmtp"}, false},
		{"remote", []string{"--scenario", "lmtp", "--corpus", "/c", "--lmtp-target", "192.0.2.1:24"}, false},
		{"no messages", []string{"--scenario", "lmtp", "--corpus", "/c", "--messages", "0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			if (err == nil) != tt.ok {
				t.Errorf("parseFlags(%q) = %v", tt.args, err)
			}
		})
	}
}

// fakeLMTP is an in-process LMTP server that stores what it receives and
// refuses recipients starting with "bad".
type fakeLMTP struct {
	t          *testing.T
	ln         net.Listener
	pipelining bool
	mu         sync.Mutex
	got        map[string][]string // recipient → messages; guarded by mu
	lhlo       int                 // LHLO commands seen; guarded by mu
}

func startFakeLMTP(t *testing.T, pipelining bool) *fakeLMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeLMTP{t: t, ln: ln, pipelining: pipelining, got: map[string][]string{}}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { f.serve(c) })
		}
	})
	return f
}

func (f *fakeLMTP) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	say := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
	say("220 fake LMTP")
	var rcpt string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(cmd, "LHLO "):
			f.mu.Lock()
			f.lhlo++
			f.mu.Unlock()
			if f.pipelining {
				say("250-fake\r\n250-PIPELINING\r\n250 8BITMIME")
			} else {
				say("250-fake\r\n250 8BITMIME")
			}
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			rcpt = ""
			say("250 2.1.0 OK")
		case strings.HasPrefix(cmd, "RCPT TO:<"):
			addr := strings.TrimSuffix(strings.TrimPrefix(cmd, "RCPT TO:<"), ">")
			if strings.HasPrefix(addr, "bad") {
				say("550 5.1.1 unknown")
				continue
			}
			rcpt = addr
			say("250 2.1.5 OK")
		case cmd == "DATA":
			if rcpt == "" {
				say("503 5.5.1 no valid recipients")
				continue
			}
			say("354 go ahead")
			msg := unstuff(f.t, r)
			f.mu.Lock()
			f.got[rcpt] = append(f.got[rcpt], string(msg))
			f.mu.Unlock()
			say("250 2.0.0 <" + rcpt + "> delivered")
		case cmd == "RSET":
			rcpt = ""
			say("250 2.0.0 OK")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("500 5.5.2 what")
		}
	}
}

func TestRunLMTP(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		t.Run(map[bool]string{true: "pipelining", false: "one by one"}[pipelining], func(t *testing.T) {
			f := startFakeLMTP(t, pipelining)
			dir := writeCorpus(t, []string{"A: 1\n\n.a\n", "B: 2\n\nb\n", "C: 3\n\n..c"})
			o := &Options{
				Scenario: "lmtp", LMTPTarget: f.ln.Addr().String(), Corpus: dir,
				UserTemplate: "user%d", Users: 2, Clients: 3, Messages: 7, Timeout: 10 * time.Second,
			}
			rec := NewRecorder()
			if err := runLMTP(context.Background(), o, rec, io.Discard); err != nil {
				t.Fatal(err)
			}
			res := rec.Result(time.Second)
			if res.Extra["delivered"] != 7 {
				t.Errorf("delivered = %v, want 7", res.Extra["delivered"])
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if n1, n2 := len(f.got["user1@example.org"]), len(f.got["user2@example.org"]); n1 != 4 || n2 != 3 {
				t.Errorf("user1 got %d, user2 got %d; want 4 and 3", n1, n2)
			}
			want := map[string]bool{"A: 1\r\n\r\n.a\r\n": true, "B: 2\r\n\r\nb\r\n": true, "C: 3\r\n\r\n..c\r\n": true}
			for _, msgs := range f.got {
				for _, m := range msgs {
					if !want[m] {
						t.Errorf("server received %q, not a corpus message", m)
					}
				}
			}
			if f.lhlo != 3 {
				t.Errorf("%d LHLO, want one per connection (3)", f.lhlo)
			}
		})
	}
}

func TestDeliverRefused(t *testing.T) {
	for _, pipelining := range []bool{true, false} {
		f := startFakeLMTP(t, pipelining)
		c, err := dialLMTP(context.Background(), f.ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.lhlo(); err != nil {
			t.Fatal(err)
		}
		if c.pipelining != pipelining {
			t.Errorf("pipelining = %v, want %v", c.pipelining, pipelining)
		}
		err = c.deliver("bad@example.org", dotStuff([]byte("A: 1\r\n\r\nx\r\n")))
		var re *replyError
		if !errors.As(err, &re) || re.code != 550 || re.cmd != "RCPT" {
			t.Errorf("deliver to an unknown recipient = %v, want RCPT 550", err)
		}
		// The session is usable after the refusal.
		if err := c.deliver("ok@example.org", dotStuff([]byte("A: 1\r\n\r\nx\r\n"))); err != nil {
			t.Errorf("deliver after a refusal: %v", err)
		}
		c.quit()
	}
}

func TestRunLMTPGivesUp(t *testing.T) {
	f := startFakeLMTP(t, true)
	dir := writeCorpus(t, []string{"A: 1\n\na\n"})
	o := &Options{
		Scenario: "lmtp", LMTPTarget: f.ln.Addr().String(), Corpus: dir,
		UserTemplate: "bad%d", Users: 1, Clients: 2, Messages: 100, Timeout: 5 * time.Second,
	}
	rec := NewRecorder()
	if err := runLMTP(context.Background(), o, rec, io.Discard); err == nil {
		t.Fatal("run with every recipient refused succeeded")
	}
	if rec.Errors() < maxFailures {
		t.Errorf("%d errors recorded, want at least %d", rec.Errors(), maxFailures)
	}
}

func TestRunLMTPNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := &Options{
		Scenario: "lmtp", LMTPTarget: addr, Corpus: writeCorpus(t, []string{"A: 1\n\na\n"}),
		UserTemplate: "user%d", Users: 1, Clients: 2, Messages: 5, Timeout: time.Second,
	}
	rec := NewRecorder()
	if err := runLMTP(context.Background(), o, rec, io.Discard); err == nil {
		t.Fatal("run without a server succeeded")
	}
	if res := rec.Result(time.Second); res.Extra["delivered"] != 0 {
		t.Errorf("delivered = %v without a server", res.Extra["delivered"])
	}
}
