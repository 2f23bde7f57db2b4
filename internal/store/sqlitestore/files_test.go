package sqlitestore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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
	// Over inlineMax: a file of its own.
	large := sample + strings.Repeat("x", inlineMax)
	r := appendString(t, a, "INBOX", large)
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
	if b, err := os.ReadFile(p); err != nil || string(b) != large {
		t.Fatalf("message file: %d bytes, %v", len(b), err)
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
		freeNow(t, a)
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
	appendString(t, a, "Junk", large)
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
	appendString(t, a, "INBOX", sample+strings.Repeat("x", inlineMax))
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
	waitMaintenance(s) // the cleanup runs in the background
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

// TestInline checks messages up to inlineMax: stored in mail.db, no file,
// read back exactly, shared by copies, gone with the last copy.
func TestInline(t *testing.T) {
	ctx := context.Background()
	s, dir := openTest(t)
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	a := acc.(*Account)
	mb, err := a.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := a.a.db.r.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	msgFiles := func() int {
		t.Helper()
		ps, _ := filepath.Glob(filepath.Join(dir, "accounts", "u", "msg", "*", "*"))
		return len(ps)
	}
	body := func(n int) string { return sample + strings.Repeat("y", n-len(sample)) }
	for _, tt := range []struct {
		size   int
		inline bool
	}{
		{len(sample), true},
		{inlineMax, true},
		{inlineMax + 1, false},
	} {
		msg := body(tt.size)
		r := appendString(t, a, "INBOX", msg)
		mr, err := mb.OpenMessage(ctx, r.UID)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, mr.Size())
		if _, err := mr.ReadAt(got, 0); err != nil || string(got) != msg {
			t.Errorf("size %d: read back %d bytes, %v", tt.size, len(got), err)
		}
		part := make([]byte, 4)
		if n, err := mr.ReadAt(part, 2); n != 4 || err != nil || string(part) != msg[2:6] {
			t.Errorf("size %d: ReadAt(4, 2) = %q, %v", tt.size, part[:n], err)
		}
		mr.Close()
		var inline int
		if err := a.a.db.r.QueryRow(`SELECT count(*) FROM contents c JOIN messages m ON m.file_id = c.file_id WHERE m.uid = ?`, r.UID).Scan(&inline); err != nil {
			t.Fatal(err)
		}
		if (inline == 1) != tt.inline {
			t.Errorf("size %d: inline = %v, want %v", tt.size, inline == 1, tt.inline)
		}
	}
	if n := msgFiles(); n != 1 {
		t.Errorf("%d message files, want 1 (the large message)", n)
	}
	// A copy shares the row; the last expunge removes it.
	if _, err := mb.Copy(ctx, []uint32{1}, "Trash"); err != nil {
		t.Fatal(err)
	}
	expunge := func(mb store.Mailbox, uids ...uint32) {
		t.Helper()
		if _, err := mb.StoreFlags(ctx, uids, store.FlagsAdd, []string{`\Deleted`}); err != nil {
			t.Fatal(err)
		}
		if _, err := mb.Expunge(ctx, uids); err != nil {
			t.Fatal(err)
		}
		freeNow(t, a)
	}
	expunge(mb, 1, 2, 3)
	if n := count(`SELECT count(*) FROM contents`); n != 1 {
		t.Errorf("%d contents rows after expunging the originals, want 1 (the copy)", n)
	}
	if n := msgFiles(); n != 0 {
		t.Errorf("%d message files after expunging the large message", n)
	}
	tr, _ := a.Mailbox(ctx, "Trash")
	expunge(tr, 1)
	if n := count(`SELECT count(*) FROM contents`); n != 0 {
		t.Errorf("%d contents rows left", n)
	}
	// A short literal is an error, and nothing is stored.
	if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(sample), Size: int64(len(sample) + 1)}); err == nil {
		t.Error("append of a short body succeeded")
	}
	if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(sample + "extra"), Size: int64(len(sample))}); err == nil {
		t.Error("append of a long body succeeded")
	}
	if n := count(`SELECT count(*) FROM files`); n != 0 {
		t.Errorf("%d files rows after failed appends", n)
	}
}

// waitMaintenance waits until s's background work is idle. New work is
// started only from work already counted (or by an append, which the
// caller does not make meanwhile), so the wait is sound.
func waitMaintenance(s *Store) { s.bg.wg.Wait() }

// TestIndexerFollowsAppends checks that a store doing maintenance indexes
// for SEARCH after ftsTrigger appends, without a search asking for it,
// and that Close stops the indexer.
func TestIndexerFollowsAppends(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	a := acc.(*Account)
	waitMaintenance(s)
	for range ftsTrigger {
		appendString(t, a, "INBOX", sample)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		waitMaintenance(s)
		wm, err := ftsWatermark(ctx, a.a.db.r)
		if err != nil {
			t.Fatal(err)
		}
		if wm == ftsTrigger {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watermark %d after %d appends, want %d", wm, ftsTrigger, ftsTrigger)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// More appends start it again; Close then stops it.
	for range ftsTrigger {
		appendString(t, a, "INBOX", sample)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// freeNow does at once what an expunge leaves to the background
// (freeFilesLater).
func freeNow(t *testing.T, a store.Account) {
	t.Helper()
	if err := a.(*Account).a.freeFilesNow(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// An expunge's files go in the background within freeDelay, and at the
// latest when the store closes.
func TestExpungeFreesLater(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, "u", "x"); err != nil {
		t.Fatal(err)
	}
	a, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	mb, err := a.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	large := "Subject: big\r\n\r\n" + strings.Repeat("x", inlineMax+1) + "\r\n"
	expungeAll := func() {
		t.Helper()
		uids := []uint32{
			appendString(t, a, "INBOX", "Subject: small\r\n\r\nx\r\n").UID,
			appendString(t, a, "INBOX", large).UID,
		}
		if _, err := mb.StoreFlags(ctx, uids, store.FlagsAdd, []string{`\Deleted`}); err != nil {
			t.Fatal(err)
		}
		if got, err := mb.Expunge(ctx, uids); err != nil || len(got) != 2 {
			t.Fatalf("expunge: %v %v", got, err)
		}
	}
	count := func() (rows int, files int) {
		t.Helper()
		db := rawDB(t, dir, "u")
		if err := db.QueryRow(`SELECT count(*) FROM files`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		ms, _ := filepath.Glob(filepath.Join(dir, "accounts", "u", "msg", "*", "*"))
		return rows, len(ms)
	}
	expungeAll()
	if rows, _ := count(); rows != 2 {
		t.Errorf("%d files rows just after the expunge, want 2 (freed later)", rows)
	}
	deadline := time.Now().Add(10 * freeDelay)
	for {
		rows, files := count()
		if rows == 0 && files == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d files rows, %d message files %v after the expunge", rows, files, 10*freeDelay)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Pending at Close: freed before it returns.
	expungeAll()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if rows, files := count(); rows != 0 || files != 0 {
		t.Errorf("after Close: %d files rows, %d message files", rows, files)
	}
}
