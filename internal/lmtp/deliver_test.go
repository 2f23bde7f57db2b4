package lmtp

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

func TestHeader(t *testing.T) {
	tests := []struct{ from, rcpt, want string }{
		{"a@example.com", "b@example.org", "Return-Path: <a@example.com>\r\nDelivered-To: b@example.org\r\n"},
		{"", "b", "Return-Path: <>\r\nDelivered-To: b\r\n"},
		{"a@x\r\nBcc: evil", "b\n@y", "Return-Path: <a@xBcc: evil>\r\nDelivered-To: b@y\r\n"},
		{"ünï@example.com", "b", "Return-Path: <ünï@example.com>\r\nDelivered-To: b\r\n"},
	}
	for _, tt := range tests {
		if got := string(Header(tt.from, tt.rcpt)); got != tt.want {
			t.Errorf("Header(%q, %q) = %q, want %q", tt.from, tt.rcpt, got, tt.want)
		}
	}
}

func TestDeliver(t *testing.T) {
	st, err := sqlitestore.Open(t.TempDir(), store.Options{MaxMessageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.CreateUser(ctx, "alice", "x"); err != nil {
		t.Fatal(err)
	}
	body := strings.NewReader("Subject: x\r\n\r\nbody\r\n")
	hdr := Header("s@example.com", "alice")
	tests := []struct {
		mailbox  string
		fallback bool
		want     string // mailbox, or error substring
		wantErr  error
	}{
		{"", false, "INBOX", nil},
		{"Sent", true, "Sent", nil},
		{"nosuch", true, "INBOX", nil},
		{"nosuch", false, "", store.ErrNoMailbox},
	}
	for _, tt := range tests {
		d, err := Deliver(ctx, st, "alice", tt.mailbox, tt.fallback, hdr, body, body.Size())
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Deliver(%q, %v) = %v, want %v", tt.mailbox, tt.fallback, err, tt.wantErr)
			}
			continue
		}
		if err != nil || d.Mailbox != tt.want || d.Size != int64(len(hdr))+body.Size() || d.Result.UID == 0 {
			t.Errorf("Deliver(%q, %v) = %+v, %v; want mailbox %s", tt.mailbox, tt.fallback, d, err, tt.want)
		}
	}
	if _, err := Deliver(ctx, st, "bob", "", true, hdr, body, body.Size()); !errors.Is(err, store.ErrNoUser) {
		t.Errorf("Deliver to a missing user: %v", err)
	}
	big := strings.NewReader(strings.Repeat("x", 200))
	if _, err := Deliver(ctx, st, "alice", "", true, hdr, big, big.Size()); !errors.Is(err, store.ErrTooBig) || replyFor(err) != errTooBig {
		t.Errorf("Deliver over the store's limit: %v", err)
	}
}

func TestSpool(t *testing.T) {
	dir := t.TempDir()
	f, n, err := Spool(dir, strings.NewReader("hello"), 5)
	if err != nil || n != 5 {
		t.Fatalf("spool = %d, %v", n, err)
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, n))
	f.Close()
	if string(b) != "hello" {
		t.Errorf("spooled %q", b)
	}
	if _, _, err := Spool(dir, strings.NewReader("hello!"), 5); replyFor(err).Code != 552 {
		t.Errorf("spool over the limit: %v", err)
	}
	if _, _, err := Spool(dir, io.MultiReader(strings.NewReader("x"), errReader{}), 0); err == nil {
		t.Error("spool of a failing reader succeeded")
	}
	// A message over SpoolMemory goes to a file, also in a missing
	// directory; one at the limit stays in memory.
	large := strings.Repeat("y", SpoolMemory+10)
	if _, _, err := Spool(dir+"/missing", strings.NewReader(large), 0); err == nil {
		t.Error("spool into a missing directory succeeded")
	}
	for _, tt := range []struct {
		size, max int
		ok        bool
	}{
		{SpoolMemory, 0, true},
		{SpoolMemory + 1, 0, true},
		{3 * SpoolMemory, 0, true},
		{3 * SpoolMemory, 3 * SpoolMemory, true},
		{3*SpoolMemory + 1, 3 * SpoolMemory, false},
		{SpoolMemory + 1, SpoolMemory, false},
	} {
		body := strings.Repeat("0123456789", tt.size/10+1)[:tt.size]
		s, n, err := Spool(dir, strings.NewReader(body), int64(tt.max))
		if !tt.ok {
			if replyFor(err).Code != 552 {
				t.Errorf("spool of %d bytes, max %d: %v; want 552", tt.size, tt.max, err)
			}
			continue
		}
		if err != nil || n != int64(tt.size) {
			t.Errorf("spool of %d bytes = %d, %v", tt.size, n, err)
			continue
		}
		got, _ := io.ReadAll(io.NewSectionReader(s, 0, n))
		if string(got) != body {
			t.Errorf("spool of %d bytes read back %d different bytes", tt.size, len(got))
		}
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	// Files are unlinked at once: nothing stays behind.
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("spool left %d files", len(ents))
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
