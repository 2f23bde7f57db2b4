package imapserver

import (
	"context"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/sqlitestore"
)

// A mailbox nobody has selected stays loaded, but is checked against the
// store before reuse: a change this process did not see (another process
// appended, before the cross-process watcher noticed) makes SELECT load
// it again instead of answering from stale memory.
func TestIdleBoxRevalidated(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	a.appendMsg("a1", "INBOX", "()", testMessage("one", "x"))
	a.mustOK("s1", "SELECT INBOX")
	a.mustOK("u1", "UNSELECT")

	other, err := sqlitestore.Open(ts.dir, store.Options{NoMaintenance: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	acct, err := other.OpenAccount(context.Background(), testUser)
	if err != nil {
		t.Fatal(err)
	}
	msg := testMessage("two", "y")
	if _, err := acct.Append(context.Background(), "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: int64(len(msg))}); err != nil {
		t.Fatal(err)
	}
	// At once, before the watcher's next poll.
	lines := a.mustOK("s2", "SELECT INBOX")
	if !contains(lines, "* 2 EXISTS") {
		t.Fatalf("SELECT after another process's append: %q", lines)
	}
	// And a box that is current is reused as it is.
	a.mustOK("u2", "UNSELECT")
	lines = a.mustOK("s3", "EXAMINE INBOX")
	if !contains(lines, "* 2 EXISTS") {
		t.Fatalf("EXAMINE of the idle box: %q", lines)
	}
}
