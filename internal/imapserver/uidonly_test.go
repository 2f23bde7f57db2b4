package imapserver

import (
	"testing"
)

// TestUIDOnly follows RFC 9586: after ENABLE UIDONLY, sequence numbers are
// refused with BAD [UIDREQUIRED], FETCH responses are UIDFETCH keyed by
// UID, and expunges are reported with VANISHED.
func TestUIDOnly(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	for _, s := range []string{"a", "b", "c"} {
		c.appendMsg("a", "INBOX", "()", testMessage(s, "x"))
	}
	c.send("e1 ENABLE UIDONLY")
	c.expect("* ENABLED UIDONLY", "e1 OK ENABLE completed")
	c.mustOK("s1", "SELECT INBOX")

	for _, cmd := range []string{"FETCH 1 FLAGS", "STORE 1 +FLAGS (x)", "COPY 1 Trash", "MOVE 1 Trash", "SEARCH ALL"} {
		c.send("b1 " + cmd)
		c.expectRe(`^b1 BAD \[UIDREQUIRED\] `)
	}
	c.send("b2 UID SEARCH 1:2")
	c.expect("b2 BAD [UIDREQUIRED] Message sequence numbers in a search key")

	c.send("f1 UID FETCH 2:3 (FLAGS)")
	c.expect("* 2 UIDFETCH (FLAGS ())", "* 3 UIDFETCH (FLAGS ())", "f1 OK UID FETCH completed")
	c.send("f2 UID FETCH 2 (UID FLAGS)")
	c.expect("* 2 UIDFETCH (UID 2 FLAGS ())", "f2 OK UID FETCH completed")
	c.send(`f3 UID STORE 3 +FLAGS (\Deleted)`)
	c.expect(`* 3 UIDFETCH (FLAGS (\Deleted))`, "f3 OK UID STORE completed")
	c.send("f4 EXPUNGE")
	c.expect("* VANISHED 3", "f4 OK EXPUNGE completed")

	// Another session's changes arrive in the same forms.
	b := ts.login(t, testUser)
	b.mustOK("o1", "SELECT INBOX")
	b.mustOK("o2", `STORE 1 +FLAGS.SILENT (\Seen)`)
	c.send("n1 NOOP")
	c.expect(`* 1 UIDFETCH (FLAGS (\Seen))`, "n1 OK NOOP completed")
	c.send("q1 UID SEARCH UNSEEN")
	c.expect("* SEARCH 2", "q1 OK UID SEARCH completed")
}
