// Package storetest is the conformance suite every store backend must
// pass: users, mailbox hierarchy semantics (RFC 9051 §6.3), UIDs and
// UIDVALIDITY, flags and MODSEQ (RFC 7162), expunge, copy and move
// (RFC 4315, RFC 6851), STATUS counters, text search, change
// notifications, persistence across reopen and concurrent appends.
//
// A backend's test calls Run with a function that makes a fresh, empty
// instance; the Opener it returns opens that same instance each time it
// is called, so the suite can close a store and open it again.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

// Opener opens one backend instance. Every call opens the same data (for
// an on-disk backend, the same directory), with the given options.
type Opener func(opts store.Options) (store.Store, error)

// Run runs the conformance suite as parallel subtests. fresh is called
// once per subtest and returns an Opener for a new, empty instance.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Users", testUsers},
		{"UserPurge", testUserPurge},
		{"DefaultMailboxes", testDefaultMailboxes},
		{"CreateMailbox", testCreateMailbox},
		{"DeleteMailbox", testDeleteMailbox},
		{"RenameMailbox", testRenameMailbox},
		{"RenameInbox", testRenameInbox},
		{"Subscriptions", testSubscriptions},
		{"UIDValidity", testUIDValidity},
		{"AppendFetch", testAppendFetch},
		{"AppendLimits", testAppendLimits},
		{"Flags", testFlags},
		{"UnchangedSince", testUnchangedSince},
		{"Vanished", testVanished},
		{"SaveDate", testSaveDate},
		{"ObjectIDs", testObjectIDs},
		{"Quota", testQuota},
		{"Aliases", testAliases},
		{"MessagesSubset", testMessagesSubset},
		{"Forms", testForms},
		{"Keywords", testKeywords},
		{"Expunge", testExpunge},
		{"Copy", testCopy},
		{"Move", testMove},
		{"Status", testStatus},
		{"SearchText", testSearchText},
		{"SearchHeaderText", testSearchHeaderText},
		{"Changes", testChanges},
		{"MailboxChanges", testMailboxChanges},
		{"Persistence", testPersistence},
		{"ConcurrentAppend", testConcurrentAppend},
		{"DeletedHandle", testDeletedHandle},
		{"BadInput", testBadInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, fresh(t))
		})
	}
}

// recorder collects the Changes a store publishes.
type recorder struct {
	mu      sync.Mutex
	changes []store.Change // guarded by mu
}

func (r *recorder) record(c store.Change) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
}

// take returns the changes recorded so far and forgets them.
func (r *recorder) take() []store.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := r.changes
	r.changes = nil
	return cs
}

// env is one opened store under test.
type env struct {
	t    *testing.T
	ctx  context.Context
	st   store.Store
	rec  *recorder
	open Opener
}

// openEnv opens the instance with a change recorder and closes it at the
// end of the test.
func openEnv(t *testing.T, open Opener, opts store.Options) *env {
	t.Helper()
	rec := &recorder{}
	opts.OnChange = rec.record
	st, err := open(opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return &env{t: t, ctx: context.Background(), st: st, rec: rec, open: open}
}

// account creates user name and opens its account.
func (e *env) account(name string) store.Account {
	e.t.Helper()
	if err := e.st.CreateUser(e.ctx, name, "hash-"+name); err != nil {
		e.t.Fatalf("CreateUser(%q): %v", name, err)
	}
	a, err := e.st.OpenAccount(e.ctx, name)
	if err != nil {
		e.t.Fatalf("OpenAccount(%q): %v", name, err)
	}
	e.t.Cleanup(func() { a.Close() })
	return a
}

// testMessage returns a small message whose subject and body contain
// the given words.
func testMessage(subject, body string) string {
	return "From: Alice <alice@example.org>\r\n" +
		"To: bob@example.org\r\n" +
		"Subject: " + subject + "\r\n" +
		"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n" +
		"Message-ID: <" + fmt.Sprint(len(subject), len(body)) + "@example.org>\r\n" +
		"\r\n" +
		body + "\r\n"
}

// headerOf returns the header block of a message made by testMessage,
// including the blank line.
func headerOf(msg string) string {
	return msg[:strings.Index(msg, "\r\n\r\n")+4]
}

// appendMsg appends msg to mailbox and fails the test on error.
func appendMsg(t *testing.T, a store.Account, mailbox, msg string, flags ...string) store.AppendResult {
	t.Helper()
	res, err := a.Append(context.Background(), mailbox, store.AppendMessage{
		Flags: flags, Body: strings.NewReader(msg), Size: int64(len(msg)),
	})
	if err != nil {
		t.Fatalf("Append to %q: %v", mailbox, err)
	}
	return res
}

// mailbox opens a mailbox handle and fails the test on error.
func mailbox(t *testing.T, a store.Account, name string) store.Mailbox {
	t.Helper()
	mb, err := a.Mailbox(context.Background(), name)
	if err != nil {
		t.Fatalf("Mailbox(%q): %v", name, err)
	}
	return mb
}

// snapshot reads a snapshot and fails the test on error.
func snapshot(t *testing.T, mb store.Mailbox) *store.Snapshot {
	t.Helper()
	s, err := mb.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return s
}

// status reads a mailbox status and fails the test on error.
func status(t *testing.T, a store.Account, name string) store.MailboxStatus {
	t.Helper()
	s, err := a.Status(context.Background(), name)
	if err != nil {
		t.Fatalf("Status(%q): %v", name, err)
	}
	return s
}

// uidsOf lists the UIDs of a snapshot.
func uidsOf(s *store.Snapshot) []uint32 {
	var u []uint32
	for _, m := range s.Messages {
		u = append(u, m.UID)
	}
	return u
}

// names lists mailbox names, marking \Noselect ones with a trailing "!".
func names(t *testing.T, a store.Account) []string {
	t.Helper()
	list, err := a.Mailboxes(context.Background())
	if err != nil {
		t.Fatalf("Mailboxes: %v", err)
	}
	var ns []string
	for _, m := range list {
		n := m.Name
		if m.NoSelect {
			n += "!"
		}
		ns = append(ns, n)
	}
	return ns
}

// wantErr fails the test unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// must fails the test on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// readAll reads a whole stored message.
func readAll(t *testing.T, mb store.Mailbox, uid uint32) string {
	t.Helper()
	r, err := mb.OpenMessage(context.Background(), uid)
	if err != nil {
		t.Fatalf("OpenMessage(%d): %v", uid, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatalf("read message %d: %v", uid, err)
	}
	if int64(len(b)) != r.Size() {
		t.Fatalf("message %d: read %d bytes, Size says %d", uid, len(b), r.Size())
	}
	return string(b)
}

// sameFlags compares flag lists as sets.
func sameFlags(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// sameTime reports whether a and b are the same instant with the same
// UTC offset, at the second precision of IMAP INTERNALDATE.
func sameTime(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Unix() == b.Unix() && oa == ob
}

// stringsReader returns a reader of s.
func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// testAliases checks the alias table: set, replace, look up, list,
// delete, unknown users refused, and aliases gone with their user.
func testAliases(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	ctx := e.ctx
	e.account("alice")
	e.account("bob")
	if err := e.st.SetAlias(ctx, "postmaster@example.org", "nobody"); !errors.Is(err, store.ErrNoUser) {
		t.Fatalf("alias to a missing user: %v", err)
	}
	must(t, "set", e.st.SetAlias(ctx, "postmaster@example.org", "alice"))
	must(t, "set", e.st.SetAlias(ctx, "sales", "alice"))
	must(t, "replace", e.st.SetAlias(ctx, "sales", "bob"))
	if u, err := e.st.Alias(ctx, "sales"); err != nil || u != "bob" {
		t.Fatalf("Alias(sales) = %q, %v", u, err)
	}
	if _, err := e.st.Alias(ctx, "nope"); !errors.Is(err, store.ErrNoAlias) {
		t.Fatalf("Alias(nope): %v", err)
	}
	list, err := e.st.Aliases(ctx)
	must(t, "list", err)
	if len(list) != 2 || list[0] != (store.Alias{Address: "postmaster@example.org", User: "alice"}) || list[1] != (store.Alias{Address: "sales", User: "bob"}) {
		t.Fatalf("Aliases = %+v", list)
	}
	must(t, "delete", e.st.DeleteAlias(ctx, "postmaster@example.org"))
	if err := e.st.DeleteAlias(ctx, "postmaster@example.org"); !errors.Is(err, store.ErrNoAlias) {
		t.Fatalf("second delete: %v", err)
	}
	must(t, "delete user", e.st.DeleteUser(ctx, "bob", true))
	if _, err := e.st.Alias(ctx, "sales"); !errors.Is(err, store.ErrNoAlias) {
		t.Fatalf("alias of a deleted user: %v", err)
	}
}
