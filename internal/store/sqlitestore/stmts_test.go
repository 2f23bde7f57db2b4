package sqlitestore

import (
	"context"
	"fmt"
	"testing"
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
