package sqlitestore

import (
	"context"
	"fmt"
	"testing"

	"petrel.dev/petrel/internal/store"
)

func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := openAccountDB(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()

	// Readers: distinct texts are cached up to the limit, and a cached
	// statement gives the same answers as an unprepared one.
	for i := range maxCachedStmts + 50 {
		var v int
		if err := a.db.r.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&v); err != nil || v != i+1 {
			t.Fatalf("query %d = %d, %v", i, v, err)
		}
	}
	if n := len(a.db.r.cache.stmts); n != maxCachedStmts {
		t.Errorf("reader cache holds %d statements, want %d", n, maxCachedStmts)
	}
	var v int
	if err := a.db.r.QueryRowContext(ctx, "SELECT 3 + ?", 4).Scan(&v); err != nil || v != 7 {
		t.Errorf("cached query = %d, %v", v, err)
	}

	// Writer: a query seen in one transaction is prepared before the
	// next and then served from the cache, also after a schema change.
	q := `INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`
	for i := range 3 {
		err := a.update(ctx, nil, func(w *wtx) error {
			if got := a.db.writerStmt(q) != nil; got != (i > 0) {
				t.Errorf("transaction %d: cached = %v", i, got)
			}
			_, err := w.ExecContext(ctx, q, "test", i)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := a.update(ctx, nil, func(w *wtx) error {
				_, err := w.tx.ExecContext(ctx, `ALTER TABLE meta ADD COLUMN extra INTEGER`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := a.db.r.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'test'`).Scan(&v); err != nil || v != 2 {
		t.Errorf("meta test = %d, %v; want 2", v, err)
	}
}

// TestDurability checks the writer's synchronous setting per kind of
// transaction: FULL (2) for APPEND, NORMAL (1) for flag changes and
// expunges.
func TestDurability(t *testing.T) {
	ctx := context.Background()
	// Without background work: the search indexer and the freeing of
	// expunged files commit relaxed transactions of their own, at any
	// moment.
	s, err := Open(t.TempDir(), store.Options{NoMaintenance: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateUser(ctx, "u", "h"); err != nil {
		t.Fatal(err)
	}
	acc, err := s.OpenAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	a := acc.(*Account)
	mb, err := a.Mailbox(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	syncMode := func() int {
		t.Helper()
		var v int
		if err := a.a.db.w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	r := appendString(t, a, "INBOX", sample)
	if got := syncMode(); got != 2 {
		t.Errorf("after APPEND: synchronous = %d, want 2 (FULL)", got)
	}
	if _, err := mb.StoreFlags(ctx, []uint32{r.UID}, store.FlagsAdd, []string{`\Deleted`}); err != nil {
		t.Fatal(err)
	}
	if got := syncMode(); got != 1 {
		t.Errorf("after STORE: synchronous = %d, want 1 (NORMAL)", got)
	}
	appendString(t, a, "INBOX", sample)
	if got := syncMode(); got != 2 {
		t.Errorf("after a second APPEND: synchronous = %d, want 2 (FULL)", got)
	}
	if gone, err := mb.Expunge(ctx, []uint32{r.UID}); err != nil || len(gone) != 1 {
		t.Fatalf("expunge = %v, %v", gone, err)
	}
	if got := syncMode(); got != 1 {
		t.Errorf("after EXPUNGE: synchronous = %d, want 1 (NORMAL)", got)
	}
}
