package sqlitestore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

// recorder collects published changes.
type recorder struct {
	mu sync.Mutex // guards cs
	cs []store.Change
}

func (r *recorder) onChange(c store.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cs = append(r.cs, c)
}

// wait returns the changes once pred holds for them, failing t after
// timeout.
func (r *recorder) wait(t *testing.T, timeout time.Duration, what string, pred func([]store.Change) bool) []store.Change {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		cs := slices.Clone(r.cs)
		r.mu.Unlock()
		if pred(cs) {
			return cs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within %v; changes: %s", what, timeout, describe(cs))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func describe(cs []store.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n  mbox %d kind %d modseq %d origin %d deleted %v uids %v", c.MailboxID, c.Kind, c.ModSeq, c.Origin, c.Deleted, c.UIDs)
		for _, m := range c.Messages {
			fmt.Fprintf(&b, " [uid %d %v]", m.UID, m.Flags)
		}
	}
	return b.String()
}

// twoStores opens A, which publishes to rec, and B, a second "process",
// on one directory with user alice, and returns alice's accounts.
func twoStores(t *testing.T) (rec *recorder, a, b store.Account) {
	t.Helper()
	dir := t.TempDir()
	rec = &recorder{}
	sa, err := Open(dir, store.Options{OnChange: rec.onChange})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sa.Close() })
	sb, err := Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	ctx := context.Background()
	if err := sb.CreateUser(ctx, "alice", "x"); err != nil {
		t.Fatal(err)
	}
	if a, err = sa.OpenAccount(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if b, err = sb.OpenAccount(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	return rec, a, b
}

func count(cs []store.Change, kind store.ChangeKind) int {
	n := 0
	for _, c := range cs {
		if c.Kind == kind {
			n++
		}
	}
	return n
}

func TestWatchAppendFromOtherProcess(t *testing.T) {
	rec, a, b := twoStores(t)
	ctx := context.Background()
	inbox, _ := a.Status(ctx, "INBOX")
	start := time.Now()
	res := appendString(t, b, "INBOX", "Subject: 1\r\n\r\none\r\n")
	cs := rec.wait(t, time.Second, "external append", func(cs []store.Change) bool { return count(cs, store.ChangeAppend) == 1 })
	t.Logf("external append published after %v", time.Since(start))
	c := cs[0]
	if c.Account != "alice" || c.MailboxID != inbox.ID || len(c.Messages) != 1 || c.Messages[0].UID != res.UID || c.Origin != 0 {
		t.Fatalf("change = %s", describe(cs))
	}
	st, _ := a.Status(ctx, "INBOX")
	if c.ModSeq != st.HighestModSeq || c.Messages[0].Size == 0 {
		t.Errorf("change modseq %d size %d, mailbox HIGHESTMODSEQ %d", c.ModSeq, c.Messages[0].Size, st.HighestModSeq)
	}
}

func TestWatchAllKinds(t *testing.T) {
	rec, a, b := twoStores(t)
	ctx := context.Background()
	// An own append, then external changes of every kind.
	own := appendString(t, a, "INBOX", "Subject: own\r\n\r\nx\r\n")
	ext := appendString(t, b, "INBOX", "Subject: ext\r\n\r\nx\r\n")
	// Wait for the append to be published, so that the flag change
	// below is a change of its own and not folded into the append.
	rec.wait(t, time.Second, "appends", func(cs []store.Change) bool { return count(cs, store.ChangeAppend) == 2 })
	mb, err := b.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mb.StoreFlags(ctx, []uint32{ext.UID}, store.FlagsAdd, []string{"$Label1"}); err != nil {
		t.Fatal(err)
	}
	// The flag change of an expunged message is gone with its row; the
	// expunge is what is published.
	if _, err := mb.StoreFlags(ctx, []uint32{own.UID}, store.FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if _, err := mb.Expunge(ctx, []uint32{own.UID}); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateMailbox(ctx, "Lists", nil); err != nil {
		t.Fatal(err)
	}
	appendString(t, b, "Lists", "Subject: l\r\n\r\nx\r\n")
	if err := b.RenameMailbox(ctx, "Junk", "Spam"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteMailbox(ctx, "Archive"); err != nil {
		t.Fatal(err)
	}
	cs := rec.wait(t, 2*time.Second, "all changes", func(cs []store.Change) bool { return count(cs, store.ChangeMailbox) >= 3 })

	inbox, _ := a.Status(ctx, "INBOX")
	var got []string
	var last uint64
	for _, c := range cs {
		if c.MailboxID == inbox.ID {
			if c.ModSeq < last {
				t.Errorf("INBOX changes out of MODSEQ order: %s", describe(cs))
			}
			last = c.ModSeq
		}
		switch c.Kind {
		case store.ChangeAppend:
			got = append(got, fmt.Sprintf("append %d", c.Messages[0].UID))
		case store.ChangeFlags:
			got = append(got, fmt.Sprintf("flags %d %v kw %v", c.Messages[0].UID, c.Messages[0].Flags, c.Keywords))
		case store.ChangeExpunge:
			got = append(got, fmt.Sprintf("expunge %v", c.UIDs))
		case store.ChangeMailbox:
			got = append(got, fmt.Sprintf("mailbox deleted=%v", c.Deleted))
		}
	}
	want := []string{
		fmt.Sprintf("append %d", own.UID), // published by A itself
		fmt.Sprintf("append %d", ext.UID),
		fmt.Sprintf("flags %d [$Label1] kw [$Label1]", ext.UID),
		fmt.Sprintf("expunge [%d]", own.UID),
		"mailbox deleted=false", // Lists created
		"append 1",              // in Lists
		"mailbox deleted=false", // Junk renamed
		"mailbox deleted=true",  // Archive
	}
	// Per mailbox order is what is promised; compare as multisets plus
	// the INBOX order checked above.
	gs, ws := slices.Clone(got), slices.Clone(want)
	slices.Sort(gs)
	slices.Sort(ws)
	if !slices.Equal(gs, ws) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
}

// TestWatchOwnNotRepeated checks that changes made through A are
// published once, by A itself, even when the watcher polls afterwards.
func TestWatchOwnNotRepeated(t *testing.T) {
	rec, a, _ := twoStores(t)
	ctx := context.Background()
	r := appendString(t, a, "INBOX", "Subject: own\r\n\r\nx\r\n")
	mb, _ := a.Mailbox(ctx, "INBOX")
	if _, err := mb.StoreFlags(ctx, []uint32{r.UID}, store.FlagsAdd, []string{`\Seen`}); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateMailbox(ctx, "New", nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * watchInterval)
	rec.mu.Lock()
	cs := slices.Clone(rec.cs)
	rec.mu.Unlock()
	if count(cs, store.ChangeAppend) != 1 || count(cs, store.ChangeFlags) != 1 || count(cs, store.ChangeMailbox) != 1 {
		t.Errorf("own changes published more than once: %s", describe(cs))
	}
}

// TestWatchGapFilled checks that an external append is published before
// an own append that follows it, even before the next poll.
func TestWatchGapFilled(t *testing.T) {
	rec, a, b := twoStores(t)
	ext := appendString(t, b, "INBOX", "Subject: ext\r\n\r\nx\r\n")
	own := appendString(t, a, "INBOX", "Subject: own\r\n\r\nx\r\n")
	cs := rec.wait(t, 2*time.Second, "two appends", func(cs []store.Change) bool { return count(cs, store.ChangeAppend) >= 2 })
	if len(cs) != 2 || cs[0].Messages[0].UID != ext.UID || cs[1].Messages[0].UID != own.UID {
		t.Errorf("appends not in UID order: %s", describe(cs))
	}
}

// TestWatchBacklog publishes more rows than one poll reads.
func TestWatchBacklog(t *testing.T) {
	rec, a, b := twoStores(t)
	ctx := context.Background()
	mb, _ := b.Mailbox(ctx, "INBOX")
	const n = 30
	for i := range n {
		appendString(t, b, "INBOX", fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i))
	}
	var uids []uint32
	for i := range uint32(n) {
		uids = append(uids, i+1)
	}
	// One transaction flagging all of them: one MODSEQ.
	if _, err := mb.StoreFlags(ctx, uids, store.FlagsAdd, []string{`\Flagged`}); err != nil {
		t.Fatal(err)
	}
	cs := rec.wait(t, 3*time.Second, "appends", func(cs []store.Change) bool {
		seen := 0
		for _, c := range cs {
			if c.Kind == store.ChangeAppend {
				seen += len(c.Messages)
			}
		}
		return seen == n
	})
	_ = a
	var next uint32 = 1
	for _, c := range cs {
		for _, m := range c.Messages {
			if c.Kind == store.ChangeAppend {
				if m.UID != next {
					t.Fatalf("append of UID %d, want %d: %s", m.UID, next, describe(cs))
				}
				next++
			}
		}
	}
}

func TestWatchStopsOnClose(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, store.Options{OnChange: func(store.Change) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(context.Background(), "alice", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenAccount(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Close(); s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case <-s.watch.done:
	default:
		t.Error("watcher still running after Close")
	}
}
