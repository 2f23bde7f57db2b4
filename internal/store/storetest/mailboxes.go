package storetest

import (
	"slices"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

var defaultNames = []string{"Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"}

func testDefaultMailboxes(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	list, err := a.Mailboxes(e.ctx)
	must(t, "Mailboxes", err)
	wantUse := map[string]string{"Archive": `\Archive`, "Drafts": `\Drafts`, "INBOX": "", "Junk": `\Junk`, "Sent": `\Sent`, "Trash": `\Trash`}
	var got []string
	for _, m := range list {
		got = append(got, m.Name)
		var use string
		if len(m.SpecialUse) == 1 {
			use = m.SpecialUse[0]
		} else if len(m.SpecialUse) > 1 {
			t.Errorf("%s: special use %v", m.Name, m.SpecialUse)
		}
		if use != wantUse[m.Name] {
			t.Errorf("%s: special use %q, want %q", m.Name, use, wantUse[m.Name])
		}
		if !m.Subscribed || m.NoSelect || m.UIDValidity == 0 || m.ID == 0 {
			t.Errorf("%s: %+v", m.Name, m)
		}
	}
	if !slices.Equal(got, defaultNames) {
		t.Fatalf("Mailboxes = %v, want %v", got, defaultNames)
	}
	subs, err := a.Subscriptions(e.ctx)
	must(t, "Subscriptions", err)
	if !slices.Equal(subs, defaultNames) {
		t.Fatalf("Subscriptions = %v, want %v", subs, defaultNames)
	}
}

func testCreateMailbox(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	must(t, "create a/b/c", a.CreateMailbox(ctx, "a/b/c", nil))
	for _, n := range []string{"a", "a/b", "a/b/c"} {
		if !slices.Contains(names(t, a), n) {
			t.Fatalf("%q missing after creating a/b/c: %v", n, names(t, a))
		}
		status(t, a, n) // selectable
	}
	wantErr(t, "create a/b again", a.CreateMailbox(ctx, "a/b", nil), store.ErrMailboxExists)
	wantErr(t, "create inbox", a.CreateMailbox(ctx, "inbox", nil), store.ErrMailboxExists)
	wantErr(t, "create INBOX", a.CreateMailbox(ctx, "INBOX", nil), store.ErrMailboxExists)
	// INBOX is case-insensitive (RFC 9051 §5.1).
	if mailbox(t, a, "inbox").ID() != mailbox(t, a, "INBOX").ID() {
		t.Fatal("inbox and INBOX are different mailboxes")
	}
	must(t, "create with special use", a.CreateMailbox(ctx, "Important", []string{`\Flagged`}))
	list, err := a.Mailboxes(ctx)
	must(t, "Mailboxes", err)
	seen := map[uint32]string{}
	for _, m := range list {
		if m.Name == "Important" && !slices.Equal(m.SpecialUse, []string{`\Flagged`}) {
			t.Errorf("Important special use = %v", m.SpecialUse)
		}
		if o, dup := seen[m.UIDValidity]; dup {
			t.Errorf("%s and %s share UIDVALIDITY %d", o, m.Name, m.UIDValidity)
		}
		seen[m.UIDValidity] = m.Name
	}
	// Names are case-sensitive apart from INBOX.
	must(t, "create A", a.CreateMailbox(ctx, "A", nil))
}

func testDeleteMailbox(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	wantErr(t, "delete INBOX", a.DeleteMailbox(ctx, "INBOX"), store.ErrCannot)
	wantErr(t, "delete inbox", a.DeleteMailbox(ctx, "inbox"), store.ErrCannot)
	wantErr(t, "delete missing", a.DeleteMailbox(ctx, "nope"), store.ErrNoMailbox)

	must(t, "create", a.CreateMailbox(ctx, "foo/bar", nil))
	appendMsg(t, a, "foo", testMessage("in foo", "x"))
	old := mailbox(t, a, "foo")
	// RFC 9051 §6.3.5: a mailbox with children loses its messages and
	// becomes \Noselect.
	must(t, "delete foo", a.DeleteMailbox(ctx, "foo"))
	if got := names(t, a); !slices.Contains(got, "foo!") || !slices.Contains(got, "foo/bar") {
		t.Fatalf("after deleting foo: %v", got)
	}
	_, err := a.Status(ctx, "foo")
	wantErr(t, "Status of \\Noselect", err, store.ErrNoSelect)
	_, err = a.Mailbox(ctx, "foo")
	wantErr(t, "Mailbox of \\Noselect", err, store.ErrNoSelect)
	_, err = old.Snapshot(ctx)
	wantErr(t, "old handle", err, store.ErrNoMailbox)
	m := testMessage("x", "y")
	_, err = a.Append(ctx, "foo", store.AppendMessage{Body: strings.NewReader(m), Size: int64(len(m))})
	wantErr(t, "append to \\Noselect", err, store.ErrNoSelect)
	_, err = a.Append(ctx, "nope", store.AppendMessage{Body: strings.NewReader(m), Size: int64(len(m))})
	wantErr(t, "append to missing", err, store.ErrNoMailbox)
	wantErr(t, "delete \\Noselect with children", a.DeleteMailbox(ctx, "foo"), store.ErrCannot)
	must(t, "delete foo/bar", a.DeleteMailbox(ctx, "foo/bar"))
	must(t, "delete \\Noselect without children", a.DeleteMailbox(ctx, "foo"))
	if got := names(t, a); slices.Contains(got, "foo!") || slices.Contains(got, "foo") {
		t.Fatalf("after deleting foo twice: %v", got)
	}

	// Creating over a \Noselect placeholder makes it selectable again,
	// empty, with a new UIDVALIDITY.
	must(t, "create p/q", a.CreateMailbox(ctx, "p/q", nil))
	uv := status(t, a, "p").UIDValidity
	appendMsg(t, a, "p", testMessage("p", "x"))
	must(t, "delete p", a.DeleteMailbox(ctx, "p"))
	must(t, "create p over placeholder", a.CreateMailbox(ctx, "p", nil))
	st := status(t, a, "p")
	if st.Messages != 0 || st.UIDValidity <= uv {
		t.Fatalf("re-created p: %+v, old UIDVALIDITY %d", st, uv)
	}
}

func testRenameMailbox(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	must(t, "create", a.CreateMailbox(ctx, "a/b", nil))
	appendMsg(t, a, "a", testMessage("one", "x"))
	appendMsg(t, a, "a/b", testMessage("two", "y"))
	sa, sb := status(t, a, "a"), status(t, a, "a/b")
	h := mailbox(t, a, "a")

	wantErr(t, "rename missing", a.RenameMailbox(ctx, "nope", "x"), store.ErrNoMailbox)
	wantErr(t, "rename to existing", a.RenameMailbox(ctx, "a", "Sent"), store.ErrMailboxExists)
	wantErr(t, "rename to INBOX", a.RenameMailbox(ctx, "a", "inbox"), store.ErrMailboxExists)
	wantErr(t, "rename into child", a.RenameMailbox(ctx, "a", "a/b/c"), store.ErrCannot)

	must(t, "rename a z/y", a.RenameMailbox(ctx, "a", "z/y"))
	got := names(t, a)
	for _, n := range []string{"z", "z/y", "z/y/b"} {
		if !slices.Contains(got, n) {
			t.Fatalf("%q missing after rename: %v", n, got)
		}
	}
	if slices.Contains(got, "a") || slices.Contains(got, "a/b") {
		t.Fatalf("old names remain after rename: %v", got)
	}
	// RFC 9051 §6.3.6: UIDVALIDITY and UIDs are kept.
	if st := status(t, a, "z/y"); st.UIDValidity != sa.UIDValidity || st.Messages != 1 || st.UIDNext != sa.UIDNext || st.ID != sa.ID {
		t.Fatalf("z/y after rename: %+v, before: %+v", st, sa)
	}
	if st := status(t, a, "z/y/b"); st.UIDValidity != sb.UIDValidity || st.Messages != 1 {
		t.Fatalf("z/y/b after rename: %+v, before: %+v", st, sb)
	}
	// The handle follows the rename.
	if s := snapshot(t, h); len(s.Messages) != 1 || s.UIDValidity != sa.UIDValidity {
		t.Fatalf("handle after rename: %+v", s)
	}
	// A new mailbox under the old name is a new incarnation.
	must(t, "re-create a", a.CreateMailbox(ctx, "a", nil))
	if st := status(t, a, "a"); st.UIDValidity == sa.UIDValidity || st.Messages != 0 {
		t.Fatalf("re-created a: %+v", st)
	}
}

func testRenameInbox(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	must(t, "create INBOX/child", a.CreateMailbox(ctx, "INBOX/child", nil))
	msg := testMessage("inbox", "body")
	appendMsg(t, a, "INBOX", msg, `\Seen`)
	appendMsg(t, a, "INBOX", msg)
	before := status(t, a, "INBOX")
	h := mailbox(t, a, "INBOX")
	must(t, "rename INBOX", a.RenameMailbox(ctx, "INBOX", "Old/Mail"))
	// RFC 9051 §6.3.6: messages move to the new mailbox, INBOX stays,
	// empty, and its children are unaffected.
	in := status(t, a, "INBOX")
	if in.Messages != 0 || in.UIDValidity != before.UIDValidity || in.UIDNext != before.UIDNext {
		t.Fatalf("INBOX after rename: %+v, before %+v", in, before)
	}
	got := names(t, a)
	for _, n := range []string{"INBOX", "INBOX/child", "Old", "Old/Mail"} {
		if !slices.Contains(got, n) {
			t.Fatalf("%q missing after renaming INBOX: %v", n, got)
		}
	}
	old := mailbox(t, a, "Old/Mail")
	s := snapshot(t, old)
	if len(s.Messages) != 2 || !sameFlags(s.Messages[0].Flags, []string{`\Seen`}) {
		t.Fatalf("Old/Mail: %+v", s.Messages)
	}
	if readAll(t, old, s.Messages[0].UID) != msg {
		t.Fatal("moved message content differs")
	}
	if s := snapshot(t, h); len(s.Messages) != 0 {
		t.Fatalf("INBOX handle still sees %d messages", len(s.Messages))
	}
	// INBOX keeps working.
	if r := appendMsg(t, a, "INBOX", msg); r.UID < before.UIDNext {
		t.Fatalf("UID %d reused in INBOX (UIDNEXT was %d)", r.UID, before.UIDNext)
	}
	// INBOX's children are not renamed with it, so INBOX may be renamed
	// below itself.
	must(t, "rename INBOX to INBOX/old", a.RenameMailbox(ctx, "inbox", "INBOX/old"))
	if st := status(t, a, "INBOX/old"); st.Messages != 1 {
		t.Fatalf("INBOX/old has %d messages, want 1", st.Messages)
	}
	wantErr(t, "rename INBOX to existing", a.RenameMailbox(ctx, "INBOX", "Old/Mail"), store.ErrMailboxExists)
}

func testSubscriptions(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	must(t, "subscribe missing", a.SetSubscribed(ctx, "Not/There", true))
	must(t, "subscribe twice", a.SetSubscribed(ctx, "Not/There", true))
	must(t, "unsubscribe Junk", a.SetSubscribed(ctx, "Junk", false))
	must(t, "unsubscribe unsubscribed", a.SetSubscribed(ctx, "Junk", false))
	subs, err := a.Subscriptions(ctx)
	must(t, "Subscriptions", err)
	want := []string{"Archive", "Drafts", "INBOX", "Not/There", "Sent", "Trash"}
	if !slices.Equal(subs, want) {
		t.Fatalf("Subscriptions = %v, want %v", subs, want)
	}
	list, err := a.Mailboxes(ctx)
	must(t, "Mailboxes", err)
	for _, m := range list {
		if m.Subscribed != (m.Name != "Junk") {
			t.Errorf("%s: Subscribed = %v", m.Name, m.Subscribed)
		}
	}
	// Deleting a mailbox does not unsubscribe it.
	must(t, "delete Sent", a.DeleteMailbox(ctx, "Sent"))
	subs, _ = a.Subscriptions(ctx)
	if !slices.Contains(subs, "Sent") {
		t.Fatalf("Subscriptions after delete = %v", subs)
	}
}

func testUIDValidity(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	var last uint32
	for i := range 5 {
		must(t, "create", a.CreateMailbox(ctx, "x", nil))
		uv := status(t, a, "x").UIDValidity
		if uv == 0 || uv <= last {
			t.Fatalf("incarnation %d: UIDVALIDITY %d after %d", i, uv, last)
		}
		last = uv
		must(t, "delete", a.DeleteMailbox(ctx, "x"))
	}
	// UIDs are never reused within an incarnation.
	r1 := appendMsg(t, a, "INBOX", testMessage("a", "b"))
	mb := mailbox(t, a, "INBOX")
	_, err := mb.StoreFlags(ctx, []uint32{r1.UID}, store.FlagsAdd, []string{`\Deleted`})
	must(t, "StoreFlags", err)
	_, err = mb.Expunge(ctx, []uint32{r1.UID})
	must(t, "Expunge", err)
	if r2 := appendMsg(t, a, "INBOX", testMessage("a", "b")); r2.UID <= r1.UID || r2.UIDValidity != r1.UIDValidity {
		t.Fatalf("append after expunge: %+v, before %+v", r2, r1)
	}
}
