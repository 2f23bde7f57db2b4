package sqlitestore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

func TestLayoutAndFileLifecycle(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	a := acc.(*Account)
	r := appendString(t, a, "INBOX", sample)
	if _, err := os.Stat(filepath.Join(dir, "petrel.db")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "accounts", "u", "mail.db")); err != nil {
		t.Fatal(err)
	}
	p := a.a.filePath(1)
	if p != filepath.Join(dir, "accounts", "u", "msg", "01", "1") {
		t.Fatalf("file path %s", p)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != sample {
		t.Fatalf("message file: %q, %v", b, err)
	}
	// A copy shares the file; it goes when the last reference goes.
	mb, _ := a.Mailbox(ctx, "INBOX")
	if _, err := mb.Copy(ctx, []uint32{r.UID}, "Trash"); err != nil {
		t.Fatal(err)
	}
	expunge := func(mb store.Mailbox, uid uint32) {
		t.Helper()
		if _, err := mb.StoreFlags(ctx, []uint32{uid}, store.FlagsAdd, []string{`\Deleted`}); err != nil {
			t.Fatal(err)
		}
		if got, err := mb.Expunge(ctx, []uint32{uid}); err != nil || len(got) != 1 {
			t.Fatalf("expunge: %v %v", got, err)
		}
	}
	expunge(mb, r.UID)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared file removed while a copy remains: %v", err)
	}
	tr, _ := a.Mailbox(ctx, "Trash")
	expunge(tr, 1)
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("file of the last expunged copy remains: %v", err)
	}
	// Deleting a mailbox frees its files too.
	appendString(t, a, "Junk", sample)
	if err := a.DeleteMailbox(ctx, "Junk"); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "accounts", "u", "msg", "02")); len(ents) != 0 {
		t.Fatalf("files left after DELETE: %v", ents)
	}
	var n int
	if err := a.a.db.r.QueryRow(`SELECT count(*) FROM files`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("files rows left: %d, %v", n, err)
	}
}

func TestCleanupAtOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, "u", "h"); err != nil {
		t.Fatal(err)
	}
	a, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	appendString(t, a, "INBOX", sample)
	s.Close()

	msgDir := filepath.Join(dir, "accounts", "u", "msg")
	write := func(p string, age time.Duration) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	orphan := filepath.Join(msgDir, "07", "7")
	staleTmp := filepath.Join(msgDir, tempPrefix+"stale")
	freshTmp := filepath.Join(msgDir, tempPrefix+"fresh")
	other := filepath.Join(msgDir, "07", "notes.txt")
	write(orphan, 0)
	write(staleTmp, 2*tempMaxAge)
	write(freshTmp, 0)
	write(other, 0)

	// A short-lived process (NoMaintenance) leaves them alone.
	quick, err := Open(dir, store.Options{NoMaintenance: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := quick.OpenAccount(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	quick.Close()
	if _, err := os.Stat(orphan); err != nil {
		t.Fatalf("NoMaintenance removed an orphan: %v", err)
	}

	s, err = Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err = s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{orphan: false, staleTmp: false, freshTmp: true, other: true,
		filepath.Join(msgDir, "01", "1"): true} {
		_, err := os.Stat(p)
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", p, got, want)
		}
	}
	mb, _ := a.Mailbox(ctx, "INBOX")
	r, err := mb.OpenMessage(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}
