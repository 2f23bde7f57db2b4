package sqlitestore

import (
	"context"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
	"petrel.dev/petrel/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := t.TempDir()
		return func(opts store.Options) (store.Store, error) { return Open(dir, opts) }
	})
}

// openTest opens a store in a new directory with user "u".
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateUser(context.Background(), "u", "h"); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func appendString(t *testing.T, a store.Account, mailbox, msg string) store.AppendResult {
	t.Helper()
	r, err := a.Append(context.Background(), mailbox, store.AppendMessage{Body: strings.NewReader(msg), Size: int64(len(msg))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const sample = "Subject: hi\r\n\r\nbody\r\n"

// TestTwoStores opens one directory twice, as the CLI does while the
// server runs: each sees the other's writes at once.
func TestTwoStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s1, err := Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.CreateUser(ctx, "u", "h1"); err != nil {
		t.Fatal(err)
	}
	if u, err := s1.User(ctx, "u"); err != nil || u.PasswordHash != "h1" {
		t.Fatalf("s1 sees %+v, %v", u, err)
	}
	if err := s2.SetPasswordHash(ctx, "u", "h2"); err != nil {
		t.Fatal(err)
	}
	if u, _ := s1.User(ctx, "u"); u.PasswordHash != "h2" {
		t.Fatalf("s1 sees stale hash %q", u.PasswordHash)
	}
	if err := s1.CreateUser(ctx, "u", "x"); err == nil {
		t.Fatal("duplicate user across stores")
	}
	a1, err := s1.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s2.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	for _, a := range []store.Account{a1, a2} {
		go func() {
			for range 10 {
				if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(sample), Size: int64(len(sample))}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	mb, _ := a1.Mailbox(ctx, "INBOX")
	snap, err := mb.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Messages) != 20 || snap.UIDNext != 21 {
		t.Fatalf("snapshot after appends from two stores: %d messages, UIDNEXT %d", len(snap.Messages), snap.UIDNext)
	}
	// A purge and re-create by s2 gives s1 the new, empty account.
	if err := s2.DeleteUser(ctx, "u", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.OpenAccount(ctx, "u"); err == nil {
		t.Fatal("s1 opened a user deleted by s2")
	}
	if err := s2.CreateUser(ctx, "u", "h3"); err != nil {
		t.Fatal(err)
	}
	a1, err = s1.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := a1.Status(ctx, "INBOX"); err != nil || st.Messages != 0 {
		t.Fatalf("s1 sees re-created INBOX as %+v, %v", st, err)
	}
	appendString(t, a1, "INBOX", sample)
	a2, err = s2.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := a2.Status(ctx, "INBOX"); err != nil || st.Messages != 1 {
		t.Fatalf("s2 sees %+v, %v", st, err)
	}
}
