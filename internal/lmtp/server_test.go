package lmtp

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

// testServer starts a Server on 127.0.0.1:0 over a fresh store with
// users alice and bob; alice has a mailbox "lists".
func testServer(t *testing.T, opts Options) (addr string, st *sqlitestore.Store) {
	t.Helper()
	st, err := sqlitestore.Open(t.TempDir(), store.Options{MaxMessageSize: opts.MaxMessageSize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := st.CreateUser(ctx, u, "x"); err != nil {
			t.Fatal(err)
		}
	}
	a, err := st.OpenAccount(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CreateMailbox(ctx, "lists", nil); err != nil {
		t.Fatal(err)
	}
	opts.Store = st
	if opts.TempDir == "" {
		opts.TempDir = t.TempDir()
	}
	s := New(opts)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return l.Addr().String(), st
}

// lconn is a raw LMTP client connection.
type lconn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) *lconn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return &lconn{t: t, c: c, r: bufio.NewReader(c)}
}

func (l *lconn) send(s string) {
	l.t.Helper()
	if _, err := io.WriteString(l.c, s); err != nil {
		l.t.Fatal(err)
	}
}

// reply reads one (possibly multi-line) reply and returns its last line.
func (l *lconn) reply() string {
	l.t.Helper()
	var all []string
	for {
		line, err := l.r.ReadString('\n')
		if err != nil {
			l.t.Fatalf("read reply: %v (so far %q)", err, all)
		}
		line = strings.TrimRight(line, "\r\n")
		all = append(all, line)
		if len(line) < 4 || line[3] != '-' {
			return line
		}
	}
}

func (l *lconn) expect(prefix string) string {
	l.t.Helper()
	got := l.reply()
	if !strings.HasPrefix(got, prefix) {
		l.t.Fatalf("got %q, want %q...", got, prefix)
	}
	return got
}

// messages reads user's mailbox: each message's full text.
func messages(t *testing.T, st store.Store, user, mailbox string) []string {
	t.Helper()
	ctx := context.Background()
	a, err := st.OpenAccount(ctx, user)
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
		b := make([]byte, r.Size())
		if _, err := r.ReadAt(b, 0); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		r.Close()
		out = append(out, string(b))
	}
	return out
}

func TestLMTPMixedRecipients(t *testing.T) {
	addr, st := testServer(t, Options{DetailDelimiter: "+"})
	c := dial(t, addr)
	c.expect("220 ")
	// Everything pipelined in one write (RFC 2920).
	c.send("LHLO mta.example.org\r\nMAIL FROM:<sender@example.com>\r\n" +
		"RCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\n" +
		"RCPT TO:<bob@example.org>\r\nRCPT TO:<alice+lists@example.org>\r\n" +
		"RCPT TO:<bob+nosuch@example.org>\r\nDATA\r\n")
	c.expect("250 ") // LHLO
	c.expect("250 ") // MAIL
	c.expect("250 ") // alice
	c.expect("550 5.1.1")
	c.expect("250 ") // bob
	c.expect("250 ") // alice+lists
	c.expect("250 ") // bob+nosuch
	c.expect("354 ")
	body := "Subject: hi\r\n\r\n..dot-stuffed line\r\nbody\r\n"
	c.send(body + ".\r\n")
	for _, want := range []string{"<alice@example.org>", "<bob@example.org>", "<alice+lists@example.org>", "<bob+nosuch@example.org>"} {
		if got := c.expect("250 2.0.0"); !strings.Contains(got, want) {
			t.Errorf("reply %q does not name %s", got, want)
		}
	}
	c.send("QUIT\r\n")
	c.expect("221 ")

	unstuffed := "Subject: hi\r\n\r\n.dot-stuffed line\r\nbody\r\n"
	check := func(user, mailbox, rcpt string) {
		t.Helper()
		got := messages(t, st, user, mailbox)
		want := "Return-Path: <sender@example.com>\r\nDelivered-To: " + rcpt + "\r\n" + unstuffed
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s/%s = %q, want [%q]", user, mailbox, got, want)
		}
	}
	check("alice", "INBOX", "alice@example.org")
	check("alice", "lists", "alice+lists@example.org")
	bob := messages(t, st, "bob", "INBOX")
	if len(bob) != 2 || !strings.Contains(bob[1], "Delivered-To: bob+nosuch@example.org\r\n") {
		t.Errorf("bob's INBOX = %q", bob)
	}
}

func TestLMTPCapabilities(t *testing.T) {
	addr, _ := testServer(t, Options{MaxMessageSize: 1 << 20})
	c := dial(t, addr)
	c.expect("220 ")
	c.send("LHLO x\r\n")
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSpace(line))
		if line[3] == ' ' {
			break
		}
	}
	all := strings.Join(lines, "\n")
	for _, capa := range []string{"PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8", "SIZE 1048576"} {
		if !strings.Contains(all, capa) {
			t.Errorf("LHLO reply lacks %s:\n%s", capa, all)
		}
	}
	c.send("HELO x\r\n")
	c.expect("500 5.5.1")
}

func TestLMTPSizeLimit(t *testing.T) {
	addr, st := testServer(t, Options{MaxMessageSize: 4096})
	c := dial(t, addr)
	c.expect("220 ")
	c.send("LHLO x\r\n")
	c.expect("250 ")
	c.send("MAIL FROM:<s@example.com> SIZE=5000\r\n")
	c.expect("552 5.3.4")
	c.send("MAIL FROM:<" + strings.Repeat("s", 400) + "@example.com>\r\n")
	c.expect("501 5.1.7")
	c.send("MAIL FROM:<s@example.com>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.send("Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 100) + ".\r\n")
	c.expect("552 5.3.4")
	c.expect("552 5.3.4")
	// The connection is still usable.
	c.send("NOOP\r\n")
	c.expect("250 ")
	if n := len(messages(t, st, "alice", "INBOX")); n != 0 {
		t.Errorf("alice has %d messages after a refused delivery", n)
	}
}

func TestLMTPInterruptedData(t *testing.T) {
	tmp := t.TempDir()
	addr, st := testServer(t, Options{TempDir: tmp})
	c := dial(t, addr)
	c.expect("220 ")
	c.send("LHLO x\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
	for range 3 {
		c.expect("250 ")
	}
	c.expect("354 ")
	c.send("Subject: cut\r\n\r\n" + strings.Repeat("y", 100000))
	c.c.Close()
	// The spool file is unlinked at creation, so the directory stays
	// empty throughout; the store must have nothing either.
	time.Sleep(300 * time.Millisecond)
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("spool directory holds %d entries", len(ents))
	}
	if n := len(messages(t, st, "alice", "INBOX")); n != 0 {
		t.Errorf("alice has %d messages after an interrupted DATA", n)
	}
}

func TestLMTPConnectionLimit(t *testing.T) {
	addr, _ := testServer(t, Options{MaxConns: 1})
	c1 := dial(t, addr)
	c1.expect("220 ")
	c2 := dial(t, addr)
	c2.expect("421 4.3.2")
	c1.send("QUIT\r\n")
	c1.expect("221 ")
	c1.c.Close()
	// The slot is given back.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c3 := dial(t, addr)
		if strings.HasPrefix(c3.reply(), "220 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("connection slot not released")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLMTPStorageFailure(t *testing.T) {
	addr, st := testServer(t, Options{})
	c := dial(t, addr)
	c.expect("220 ")
	c.send("LHLO x\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<alice@example.org>\r\n")
	for range 3 {
		c.expect("250 ")
	}
	// Closing the store makes every append fail: the client must get a
	// temporary failure, not a 250.
	st.Close()
	c.send("DATA\r\n")
	c.expect("354 ")
	c.send("Subject: x\r\n\r\nx\r\n.\r\n")
	c.expect("451 4.3.0")
}
