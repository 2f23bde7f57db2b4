package imapserver

import (
	"strings"
	"testing"
	"time"
)

// Two sessions on one mailbox see each other's changes, at the moments
// RFC 9051 §7.5.1 allows.
func TestTwoSessionsSeeChanges(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	b := ts.login(t, testUser)
	b.mustOK("b0", "SELECT INBOX")

	// A is not in INBOX, so B is the first to see the message: \Recent
	// is B's (RFC 3501 §2.3.2).
	a.appendMsg("a1", "INBOX", "()", testMessage("one", "x"))
	b.send("b1 NOOP")
	b.expect("* 1 EXISTS", "* 1 RECENT", "b1 OK NOOP completed")
	a.send("a0 SELECT INBOX")
	if lines := a.until("a0"); !contains(lines, "* 0 RECENT") {
		t.Fatalf("A sees \\Recent taken by B: %q", lines)
	}

	a.mustOK("a2", `STORE 1 +FLAGS.SILENT (\Flagged)`)
	b.send("b2 NOOP")
	b.expect(`* 1 FETCH (UID 1 FLAGS (\Flagged \Recent))`, "b2 OK NOOP completed")

	// Keywords are shared, and announced with FLAGS.
	a.mustOK("a3", `STORE 1 +FLAGS.SILENT ($Important)`)
	b.send("b3 NOOP")
	b.expect(
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Important \*)] Flags permitted`,
		`* 1 FETCH (UID 1 FLAGS (\Flagged $Important \Recent))`,
		"b3 OK NOOP completed",
	)

	a.mustOK("a4", `STORE 1 +FLAGS.SILENT (\Deleted)`)
	untagged := a.mustOK("a5", "EXPUNGE")
	if len(untagged) != 1 || untagged[0] != "* 1 EXPUNGE" {
		t.Fatalf("EXPUNGE answered %q", untagged)
	}
	// No EXPUNGE during FETCH by sequence number; the flag change may come.
	b.send("b4 FETCH 1 (UID)")
	for _, line := range b.until("b4") {
		if strings.HasSuffix(line, "EXPUNGE") {
			t.Fatalf("EXPUNGE sent during FETCH: %q", line)
		}
	}
	b.send("b5 NOOP")
	b.expect("* 1 EXPUNGE", "b5 OK NOOP completed")
	b.send("b6 NOOP")
	b.expect("b6 OK NOOP completed")
}

func TestIdleSeesAppendPromptly(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	b := ts.login(t, testUser)
	b.mustOK("b0", "SELECT INBOX")
	b.send("b1 IDLE")
	b.expect("+ idling")
	start := time.Now()
	a.appendMsg("a1", "INBOX", "()", testMessage("idle", "x"))
	b.expect("* 1 EXISTS", "* 1 RECENT")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("IDLE update took %v", d)
	}
	a.mustOK("a2", "SELECT INBOX")
	a.mustOK("a3", `STORE 1 +FLAGS (\Seen)`)
	b.expect(`* 1 FETCH (UID 1 FLAGS (\Seen \Recent))`)
	b.send("DONE")
	b.expect("b1 OK IDLE completed")
}

func TestAccountsAreIsolated(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	a.mustOK("a1", "CREATE Private")
	b := ts.login(t, "bob")
	b.send("b1 SELECT Private")
	b.expect("b1 NO [NONEXISTENT] Mailbox does not exist")
	lines := b.mustOK("b2", `LIST "" *`)
	for _, l := range lines {
		if strings.Contains(l, "Private") {
			t.Fatalf("bob sees alice's mailbox: %q", l)
		}
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// TestFetchBodyOfExpunged fetches whole messages (BODY.PEEK[], read
// without the model) in a session that has not yet been told of another
// session's EXPUNGE: the expunged message is left out (RFC 2180 §4.1.2),
// the others are sent whole, and the EXPUNGE comes afterwards.
func TestFetchBodyOfExpunged(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	b := ts.login(t, testUser)
	one, two := testMessage("one", "first body"), testMessage("two", "second body")
	a.appendMsg("a1", "INBOX", "()", one)
	a.appendMsg("a2", "INBOX", "()", two)
	b.mustOK("b0", "SELECT INBOX")
	a.mustOK("a3", "SELECT INBOX")
	a.mustOK("a4", `STORE 1 +FLAGS.SILENT (\Deleted)`)
	a.mustOK("a5", "EXPUNGE")

	b.send("b1 FETCH 1:2 (BODY.PEEK[])")
	lines := b.until("b1")
	var fetches []string
	for _, l := range lines {
		if strings.Contains(l, " FETCH (BODY[]") {
			fetches = append(fetches, l)
		}
		if strings.HasSuffix(l, "EXPUNGE") {
			t.Fatalf("EXPUNGE sent during FETCH: %q", lines)
		}
	}
	if len(fetches) != 1 || !strings.HasPrefix(fetches[0], "* 2 FETCH (BODY[] {") {
		t.Fatalf("FETCH 1:2 (BODY.PEEK[]) after another session's EXPUNGE: %q", lines)
	}
	if !strings.HasSuffix(lines[len(lines)-1], "OK FETCH completed") {
		t.Fatalf("FETCH ended with %q", lines[len(lines)-1])
	}
	if !contains(lines, "second body") {
		t.Fatalf("message 2's body is missing: %q", lines)
	}
	b.send("b2 NOOP")
	b.expect("* 1 EXPUNGE", "b2 OK NOOP completed")
}
