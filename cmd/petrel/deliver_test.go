package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

// deliverDir makes a data directory with user alice and a config file
// whose size limit is 2K and local domain example.org.
func deliverDir(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	runArgs(t, "pw\n", "user", "add", "--data", dir, "--password-stdin", "alice").want(t, exitOK)
	cfg = filepath.Join(t.TempDir(), "petrel.toml")
	toml := "data_dir = \"" + dir + "\"\n[limits]\nappend_limit = \"2K\"\n[lmtp]\ndomains = [\"example.org\"]\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, cfg
}

// mailboxTexts returns the messages of alice's mailbox.
func mailboxTexts(t *testing.T, dir, mailbox string) []string {
	t.Helper()
	st, err := sqlitestore.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	a, err := st.OpenAccount(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	mb, err := a.Mailbox(ctx, mailbox)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := mb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range snap.Messages {
		r, err := mb.OpenMessage(ctx, m.UID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func TestDeliver(t *testing.T) {
	dir, cfg := deliverDir(t)
	msg := "From bounce@example.com  Thu Nov 26 01:00:00 2026\nSubject: hi\n\nbody\n"
	const stored = "Subject: hi\r\n\r\nbody\r\n"

	runArgs(t, msg, "deliver", "--data", dir, "-f", "bounce@example.com", "alice").want(t, exitOK)
	runArgs(t, msg, "deliver", "--config", cfg, "alice+Sent@example.org").want(t, exitOK)
	runArgs(t, msg, "deliver", "--data", dir, "--mailbox", "nosuch", "alice").want(t, exitOK)
	runArgs(t, msg, "deliver", "--data", dir, "--mailbox", "Lists/Go", "--create", "alice").want(t, exitOK)
	t.Setenv("SENDER", "env@example.com")
	runArgs(t, msg, "deliver", "--config", cfg, "ALICE@example.org").want(t, exitOK)

	inbox := mailboxTexts(t, dir, "INBOX")
	want := []string{
		"Return-Path: <bounce@example.com>\r\nDelivered-To: alice\r\n" + stored,
		"Delivered-To: alice\r\n" + stored,
		"Return-Path: <env@example.com>\r\nDelivered-To: ALICE@example.org\r\n" + stored,
	}
	if strings.Join(inbox, "|") != strings.Join(want, "|") {
		t.Errorf("INBOX = %q\nwant %q", inbox, want)
	}
	if got := mailboxTexts(t, dir, "Sent"); len(got) != 1 || got[0] != "Delivered-To: alice+Sent@example.org\r\n"+stored {
		t.Errorf("Sent = %q", got)
	}
	if got := mailboxTexts(t, dir, "Lists/Go"); len(got) != 1 {
		t.Errorf("Lists/Go = %q", got)
	}
}

func TestDeliverExitCodes(t *testing.T) {
	dir, cfg := deliverDir(t)
	msg := "Subject: x\n\nx\n"
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"no user arg", msg, []string{"--data", dir}, exUsage, "exactly one USER"},
		{"bad flag", msg, []string{"--data", dir, "--bogus", "alice"}, exUsage, "bogus"},
		{"create without mailbox", msg, []string{"--data", dir, "--create", "alice"}, exUsage, "--create"},
		{"unknown user", msg, []string{"--data", dir, "bob"}, exNoUser, "no such user: bob"},
		{"foreign domain", msg, []string{"--config", cfg, "alice@example.com"}, exNoUser, "no such user"},
		{"too big", strings.Repeat("x", 3000), []string{"--config", cfg, "alice"}, exDataErr, "too big"},
		{"cannot create", msg, []string{"--data", dir, "--mailbox", "a//b", "--create", "alice"}, exCantCreat, "cannot create"},
		{"missing data dir", msg, []string{"--data", filepath.Join(dir, "missing"), "alice"}, exTempFail, "data directory"},
		{"bad config", msg, []string{"--config", filepath.Join(dir, "missing.toml"), "alice"}, exTempFail, "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runArgs(t, tt.stdin, append([]string{"deliver"}, tt.args...)...).want(t, tt.code)
			// Flag errors also print the usage; all others are one line.
			if !strings.Contains(r.stderr, tt.stderr) || tt.code != exUsage && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line with %q", r.stderr, tt.stderr)
			}
		})
	}
	if n := len(mailboxTexts(t, dir, "INBOX")); n != 0 {
		t.Errorf("failed deliveries stored %d messages", n)
	}
}

// TestDeliverTempFail breaks alice's message directory (a file where the
// directory should be; chmod does not stop root): the delivery of a
// message too large for mail.db (over 64 KiB) must exit 75 so that the
// MTA retries.
func TestDeliverTempFail(t *testing.T) {
	dir, _ := deliverDir(t)
	msgDir := filepath.Join(dir, "accounts", "alice", "msg")
	if err := os.RemoveAll(msgDir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(msgDir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runArgs(t, "Subject: x\n\n"+strings.Repeat("x", 70<<10)+"\n", "deliver", "--data", dir, "alice").want(t, exTempFail)
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr %q is not one line", r.stderr)
	}
}
