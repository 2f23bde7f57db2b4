package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"petrel.dev/petrel/internal/store"
)

func testChanges(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := store.WithOrigin(e.ctx, 42)
	mb := mailbox(t, a, "INBOX")
	e.rec.take()

	msg := testMessage("c", "b")
	res, err := a.Append(ctx, "INBOX", store.AppendMessage{Flags: []string{"$New"}, Body: stringsReader(msg), Size: int64(len(msg))})
	must(t, "append", err)
	cs := e.rec.take()
	if len(cs) != 1 {
		t.Fatalf("append published %d changes", len(cs))
	}
	c := cs[0]
	if c.Kind != store.ChangeAppend || c.Account != "u" || c.MailboxID != mb.ID() || c.Origin != 42 ||
		len(c.Messages) != 1 || c.Messages[0].UID != res.UID || c.ModSeq != c.Messages[0].ModSeq ||
		c.Messages[0].Size != int64(len(msg)) || !slices.Equal(c.Keywords, []string{"$New"}) {
		t.Fatalf("append change %+v", c)
	}
	// What a session learns from the change is what a snapshot says.
	sm := snapshot(t, mb).Messages[0]
	cm := c.Messages[0]
	if sm.UID != cm.UID || sm.ModSeq != cm.ModSeq || sm.Size != cm.Size || !sameFlags(sm.Flags, cm.Flags) ||
		!sameTime(sm.InternalDate, cm.InternalDate) || !sm.InternalDate.Equal(cm.InternalDate) {
		t.Fatalf("change meta %+v, snapshot meta %+v", cm, sm)
	}
	last := c.ModSeq

	// A change without an origin carries 0.
	_, err = mb.StoreFlags(e.ctx, []uint32{res.UID}, store.FlagsAdd, []string{`\Seen`, "$Other"})
	must(t, "flags", err)
	cs = e.rec.take()
	if len(cs) != 1 || cs[0].Kind != store.ChangeFlags || cs[0].Origin != 0 || cs[0].ModSeq != last+1 ||
		len(cs[0].Messages) != 1 || !sameFlags(cs[0].Messages[0].Flags, []string{`\Seen`, "$New", "$Other"}) ||
		!slices.Equal(cs[0].Keywords, []string{"$Other"}) {
		t.Fatalf("flag changes %+v", cs)
	}
	last++
	// No change, no notification.
	_, err = mb.StoreFlags(ctx, []uint32{res.UID}, store.FlagsAdd, []string{`\Seen`})
	must(t, "no-op flags", err)
	if cs := e.rec.take(); len(cs) != 0 {
		t.Fatalf("no-op published %+v", cs)
	}
	_, err = mb.StoreFlags(ctx, []uint32{res.UID}, store.FlagsAdd, []string{`\Deleted`})
	must(t, "delete flag", err)
	_, err = mb.Expunge(ctx, []uint32{res.UID})
	must(t, "expunge", err)
	cs = e.rec.take()
	if len(cs) != 2 || cs[1].Kind != store.ChangeExpunge || !slices.Equal(cs[1].UIDs, []uint32{res.UID}) ||
		cs[1].ModSeq != last+2 || cs[1].Origin != 42 {
		t.Fatalf("expunge changes %+v", cs)
	}
	res2, err := mb.Copy(ctx, nil, "Trash")
	must(t, "empty copy", err)
	if len(res2.DestUIDs) != 0 || len(e.rec.take()) != 0 {
		t.Fatal("empty copy published changes")
	}
}

func testMailboxChanges(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := store.WithOrigin(e.ctx, 7)
	e.rec.take()
	must(t, "create", a.CreateMailbox(ctx, "New", nil))
	cs := e.rec.take()
	id := status(t, a, "New").ID
	if len(cs) != 1 || cs[0].Kind != store.ChangeMailbox || cs[0].MailboxID != id || cs[0].Deleted || cs[0].Origin != 7 || cs[0].Account != "u" {
		t.Fatalf("create changes %+v", cs)
	}
	must(t, "rename", a.RenameMailbox(ctx, "New", "Newer"))
	cs = e.rec.take()
	if len(cs) != 1 || cs[0].Kind != store.ChangeMailbox || cs[0].MailboxID != id || cs[0].Deleted {
		t.Fatalf("rename changes %+v", cs)
	}
	must(t, "delete", a.DeleteMailbox(ctx, "Newer"))
	cs = e.rec.take()
	if len(cs) != 1 || cs[0].Kind != store.ChangeMailbox || cs[0].MailboxID != id || !cs[0].Deleted {
		t.Fatalf("delete changes %+v", cs)
	}
	if err := a.CreateMailbox(ctx, "Sent", nil); err == nil || len(e.rec.take()) != 0 {
		t.Fatal("failed create published changes")
	}
}

func testPersistence(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	msg := testMessage("persist", "across restarts")
	appendMsg(t, a, "INBOX", msg, "$Kept")
	appendMsg(t, a, "INBOX", msg)
	must(t, "create", a.CreateMailbox(ctx, "Folder/Sub", nil))
	must(t, "subscribe", a.SetSubscribed(ctx, "Folder/Sub", true))
	mb := mailbox(t, a, "INBOX")
	_, err := mb.StoreFlags(ctx, []uint32{2}, store.FlagsAdd, []string{`\Deleted`})
	must(t, "flag", err)
	_, err = mb.Expunge(ctx, []uint32{2})
	must(t, "expunge", err)
	before := snapshot(t, mb)
	beforeStatus := status(t, a, "INBOX")
	beforeNames := names(t, a)
	a.Close()
	must(t, "close", e.st.Close())

	e2 := openEnv(t, open, store.Options{})
	u, err := e2.st.User(ctx, "u")
	must(t, "User after reopen", err)
	if u.PasswordHash != "hash-u" {
		t.Fatalf("user after reopen %+v", u)
	}
	a2, err := e2.st.OpenAccount(ctx, "u")
	must(t, "OpenAccount after reopen", err)
	defer a2.Close()
	if got := names(t, a2); !slices.Equal(got, beforeNames) {
		t.Fatalf("mailboxes after reopen %v, want %v", got, beforeNames)
	}
	if subs, _ := a2.Subscriptions(ctx); !slices.Contains(subs, "Folder/Sub") {
		t.Fatalf("subscriptions after reopen %v", subs)
	}
	if st := status(t, a2, "INBOX"); st != beforeStatus {
		t.Fatalf("status after reopen %+v, want %+v", st, beforeStatus)
	}
	mb2 := mailbox(t, a2, "INBOX")
	after := snapshot(t, mb2)
	if after.UIDValidity != before.UIDValidity || after.UIDNext != before.UIDNext || after.HighestModSeq != before.HighestModSeq ||
		len(after.Messages) != 1 || !sameFlags(after.Messages[0].Flags, []string{"$Kept"}) || !slices.Equal(after.Keywords, before.Keywords) {
		t.Fatalf("snapshot after reopen %+v, want %+v", after, before)
	}
	if readAll(t, mb2, 1) != msg {
		t.Fatal("content after reopen differs")
	}
	// UIDs and MODSEQs continue; they never go back.
	r := appendMsg(t, a2, "INBOX", msg)
	if r.UID != 3 {
		t.Fatalf("UID after reopen %d, want 3", r.UID)
	}
	if s := snapshot(t, mb2); s.HighestModSeq <= before.HighestModSeq {
		t.Fatalf("HIGHESTMODSEQ went from %d to %d", before.HighestModSeq, s.HighestModSeq)
	}
}

func testConcurrentAppend(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	const workers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	uids := make(chan uint32, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				msg := testMessage(fmt.Sprintf("w%d-%d", w, i), "concurrent")
				r, err := a.Append(e.ctx, "INBOX", store.AppendMessage{Body: stringsReader(msg), Size: int64(len(msg))})
				if err != nil {
					errs <- err
					return
				}
				uids <- r.UID
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(uids)
	for err := range errs {
		t.Fatalf("concurrent append: %v", err)
	}
	var got []uint32
	for u := range uids {
		got = append(got, u)
	}
	slices.Sort(got)
	if len(got) != workers*each || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatalf("UIDs not unique: %v", got)
	}
	s := snapshot(t, mailbox(t, a, "INBOX"))
	if !slices.Equal(uidsOf(s), got) {
		t.Fatalf("snapshot UIDs %v, appended %v", uidsOf(s), got)
	}
	// Changes arrive in MODSEQ order, with UIDs increasing.
	var lastMod uint64
	var lastUID uint32
	for _, c := range e.rec.take() {
		if c.Kind != store.ChangeAppend {
			continue
		}
		if c.ModSeq <= lastMod || c.Messages[0].UID <= lastUID {
			t.Fatalf("change out of order: modseq %d after %d, uid %d after %d", c.ModSeq, lastMod, c.Messages[0].UID, lastUID)
		}
		lastMod, lastUID = c.ModSeq, c.Messages[0].UID
	}
}

func testDeletedHandle(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	must(t, "create", a.CreateMailbox(ctx, "Gone", nil))
	appendMsg(t, a, "Gone", testMessage("g", "g"))
	mb := mailbox(t, a, "Gone")
	must(t, "delete", a.DeleteMailbox(ctx, "Gone"))
	_, err := mb.Snapshot(ctx)
	wantErr(t, "Snapshot", err, store.ErrNoMailbox)
	_, err = mb.StoreFlags(ctx, []uint32{1}, store.FlagsAdd, []string{`\Seen`})
	wantErr(t, "StoreFlags", err, store.ErrNoMailbox)
	_, err = mb.Expunge(ctx, []uint32{1})
	wantErr(t, "Expunge", err, store.ErrNoMailbox)
	_, err = mb.Copy(ctx, []uint32{1}, "INBOX")
	wantErr(t, "Copy", err, store.ErrNoMailbox)
	_, err = mb.Move(ctx, []uint32{1}, "INBOX")
	wantErr(t, "Move", err, store.ErrNoMailbox)
	_, err = mb.SearchText(ctx, nil, []string{"g"}, true)
	wantErr(t, "SearchText", err, store.ErrNoMailbox)
	_, err = mb.OpenMessage(ctx, 1)
	wantErr(t, "OpenMessage", err, store.ErrNoMailbox)
	err = mb.Messages(ctx, []uint32{1}, 0, func(*store.MessageData) error { return nil })
	wantErr(t, "Messages", err, store.ErrNoMailbox)
	// A new mailbox of the same name is not the old handle's.
	must(t, "re-create", a.CreateMailbox(ctx, "Gone", nil))
	_, err = mb.Snapshot(ctx)
	wantErr(t, "Snapshot after re-create", err, store.ErrNoMailbox)
}

func testBadInput(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	for _, n := range []string{"", "/", "a//b", "a/", "/a", "bad\x00name", "bad\nname", "\xff"} {
		if err := a.CreateMailbox(ctx, n, nil); err == nil {
			t.Errorf("CreateMailbox(%q) succeeded", n)
		}
	}
	for _, n := range []string{"", "a/b", "..", "x\x00"} {
		if err := e.st.CreateUser(ctx, n, "h"); err == nil {
			t.Errorf("CreateUser(%q) succeeded", n)
		}
	}
	msg := testMessage("b", "b")
	for _, f := range [][]string{{""}, {"a b"}, {"(x"}, {`\`}, {"x\x01"}} {
		_, err := a.Append(ctx, "INBOX", store.AppendMessage{Flags: f, Body: stringsReader(msg), Size: int64(len(msg))})
		if err == nil {
			t.Errorf("Append with flags %q succeeded", f)
		}
	}
	mb := mailbox(t, a, "INBOX")
	if _, err := mb.StoreFlags(ctx, []uint32{1}, store.FlagMode(99), []string{`\Seen`}); err == nil {
		t.Error("StoreFlags with a bad mode succeeded")
	}
	if st := status(t, a, "INBOX"); st.Messages != 0 {
		t.Fatalf("bad appends stored %d messages", st.Messages)
	}
}
