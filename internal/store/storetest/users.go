package storetest

import (
	"slices"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

func testUsers(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	ctx := e.ctx
	before := time.Now().Add(-2 * time.Second)
	must(t, "CreateUser bob", e.st.CreateUser(ctx, "bob", "h1"))
	must(t, "CreateUser alice", e.st.CreateUser(ctx, "alice", "h2"))
	wantErr(t, "CreateUser dup", e.st.CreateUser(ctx, "bob", "h3"), store.ErrUserExists)

	u, err := e.st.User(ctx, "bob")
	must(t, "User", err)
	if u.Name != "bob" || u.PasswordHash != "h1" || u.Created.Before(before) || u.Created.After(time.Now().Add(2*time.Second)) {
		t.Fatalf("User(bob) = %+v", u)
	}
	_, err = e.st.User(ctx, "carol")
	wantErr(t, "User(carol)", err, store.ErrNoUser)

	us, err := e.st.Users(ctx)
	must(t, "Users", err)
	var ns []string
	for _, u := range us {
		ns = append(ns, u.Name)
	}
	if !slices.Equal(ns, []string{"alice", "bob"}) {
		t.Fatalf("Users = %v, want [alice bob]", ns)
	}

	must(t, "SetPasswordHash", e.st.SetPasswordHash(ctx, "bob", "h9"))
	if u, _ := e.st.User(ctx, "bob"); u.PasswordHash != "h9" {
		t.Fatalf("password hash after set = %q", u.PasswordHash)
	}
	wantErr(t, "SetPasswordHash(carol)", e.st.SetPasswordHash(ctx, "carol", "x"), store.ErrNoUser)

	must(t, "DeleteUser", e.st.DeleteUser(ctx, "bob", false))
	_, err = e.st.User(ctx, "bob")
	wantErr(t, "User after delete", err, store.ErrNoUser)
	_, err = e.st.OpenAccount(ctx, "bob")
	wantErr(t, "OpenAccount after delete", err, store.ErrNoUser)
	wantErr(t, "DeleteUser again", e.st.DeleteUser(ctx, "bob", false), store.ErrNoUser)
	_, err = e.st.OpenAccount(ctx, "nobody")
	wantErr(t, "OpenAccount(nobody)", err, store.ErrNoUser)

	a, err := e.st.OpenAccount(ctx, "alice")
	must(t, "OpenAccount(alice)", err)
	if a.Name() != "alice" {
		t.Fatalf("Name() = %q", a.Name())
	}
}

func testUserPurge(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("dave")
	appendMsg(t, a, "INBOX", testMessage("purge me", "text"))
	must(t, "CreateMailbox", a.CreateMailbox(e.ctx, "Extra", nil))
	must(t, "DeleteUser purge", e.st.DeleteUser(e.ctx, "dave", true))
	b := e.account("dave")
	if st := status(t, b, "INBOX"); st.Messages != 0 {
		t.Fatalf("INBOX after purge and re-create has %d messages", st.Messages)
	}
	if got := names(t, b); slices.Contains(got, "Extra") {
		t.Fatalf("mailboxes after purge = %v", got)
	}
}
