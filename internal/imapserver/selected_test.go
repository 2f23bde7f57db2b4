package imapserver

import (
	"slices"
	"testing"
)

// A session that may not report an expunge yet (RFC 9051 §7.5.1) keeps
// a private view with the expunged message and later appends; the
// mailbox's shared list and the other sessions' views are not touched,
// and once the expunge is reported the session shares the list again.
func TestViewCopyOnWrite(t *testing.T) {
	ts := newTestServer(t)
	a := ts.login(t, testUser)
	for _, subj := range []string{"one", "two", "three"} {
		a.appendMsg("a0", "INBOX", "()", testMessage(subj, "x"))
	}
	a.mustOK("a1", "SELECT INBOX")
	b := ts.login(t, testUser)
	b.mustOK("b1", "SELECT INBOX")
	c := ts.login(t, testUser)
	c.mustOK("c1", "SELECT INBOX")

	a.mustOK("a2", `STORE 2 +FLAGS.SILENT (\Deleted)`)
	a.send("a3 EXPUNGE")
	a.expect("* 2 EXPUNGE", "a3 OK EXPUNGE completed")

	// FETCH by sequence number: no EXPUNGE, the flag change may come.
	b.send("b2 FETCH 1 (UID)")
	b.until("b2")
	a.appendMsg("a4", "INBOX", "()", testMessage("four", "x"))
	// B's view is now 1 2 3 4 (UID 2 expunged but not reported).
	b.send("b3 FETCH 1 (UID)")
	b.expect("* 1 FETCH (UID 1)", "* 4 EXISTS", "* 0 RECENT", "b3 OK FETCH completed")
	b.send("b3 FETCH 4 (UID)")
	b.expect("* 4 FETCH (UID 4)", "b3 OK FETCH completed")
	b.send("b4 NOOP")
	b.expect("* 2 EXPUNGE", "b4 OK NOOP completed")
	b.send("b5 FETCH 1:* (UID)")
	b.expect("* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "* 3 FETCH (UID 4)", "b5 OK FETCH completed")

	// C saw nothing yet: its shared view was not changed under it (UID
	// 3 is still message 3; expunged UID 2 has no data to fetch).
	c.send("c2 FETCH 1:* (UID)")
	c.expect("* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)", "* 4 EXISTS", "* 0 RECENT",
		`* 2 FETCH (UID 2 FLAGS (\Deleted))`, "c2 OK FETCH completed")
	c.send("c3 NOOP")
	c.expect("* 2 EXPUNGE", "c3 OK NOOP completed")

	// All three share the mailbox's list again.
	for _, x := range []*tconn{a, b, c} {
		x.send("i IDLE")
		x.expect("+ idling")
	}
	var box *sharedBox
	for _, s := range sessionsOf(ts.srv) {
		whenParked(t, s, func() {
			if box == nil {
				box = s.sel.box
			}
			if !s.sel.shared || !slices.Equal(s.sel.uids, []uint32{1, 3, 4}) {
				t.Errorf("view: shared=%v uids=%v, want shared [1 3 4]", s.sel.shared, s.sel.uids)
			}
			box.mu.RLock()
			if &box.uids[0] != &s.sel.uids[0] {
				t.Error("view is a copy of the mailbox's list")
			}
			box.mu.RUnlock()
		})
	}
	for _, x := range []*tconn{a, b, c} {
		x.send("DONE")
		x.expect("i OK IDLE completed")
	}
}

func TestSortUnique(t *testing.T) {
	for _, tt := range []struct{ in, want []uint32 }{
		{nil, nil},
		{[]uint32{5}, []uint32{5}},
		{[]uint32{1, 2, 3}, []uint32{1, 2, 3}},
		{[]uint32{3, 1, 2, 3, 1}, []uint32{1, 2, 3}},
		{[]uint32{7, 7, 7}, []uint32{7}},
	} {
		if got := sortUnique(slices.Clone(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("sortUnique(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSeqOf(t *testing.T) {
	sel := &selected{uids: []uint32{2, 5, 9}}
	for _, tt := range []struct{ uid, want uint32 }{
		{1, 0}, {2, 1}, {5, 2}, {6, 0}, {9, 3}, {10, 0},
	} {
		if got := sel.seqOf(tt.uid); got != tt.want {
			t.Errorf("seqOf(%d) = %d, want %d", tt.uid, got, tt.want)
		}
	}
	if got := (&selected{}).maxUID(); got != 0 {
		t.Errorf("maxUID of an empty view = %d", got)
	}
}
