package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"
)

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	v1 := []string{`CREATE TABLE a (x INTEGER);`}
	d, err := openDB(ctx, path, v1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.w.Exec(`INSERT INTO a VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	d.close()

	v2 := append(v1, `ALTER TABLE a ADD COLUMN y TEXT NOT NULL DEFAULT 'new';`)
	d, err = openDB(ctx, path, v2)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var y string
	if err := d.r.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != 2 {
		t.Fatalf("user_version %d, %v", v, err)
	}
	if err := d.r.QueryRow(`SELECT y FROM a WHERE x = 1`).Scan(&y); err != nil || y != "new" {
		t.Fatalf("migrated row: %q, %v", y, err)
	}
	d.close()

	// An older program refuses a newer schema.
	if d, err := openDB(ctx, path, v1); err == nil {
		d.close()
		t.Fatal("opened a database with a newer schema")
	}
	// A failing migration changes nothing.
	bad := append(v2, `CREATE TABLE b (z);`, `THIS IS NOT SQL;`)
	if d, err := openDB(ctx, path, bad); err == nil {
		d.close()
		t.Fatal("bad migration succeeded")
	}
	d, err = openDB(ctx, path, v2)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	var n int
	if err := d.r.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'b'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("half-applied migration left table b: %d, %v", n, err)
	}
}

// TestPragmas checks that every pooled connection gets the DSN pragmas.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	d, err := openDB(ctx, filepath.Join(t.TempDir(), "t.db"), accountMigrations)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	check := func(name string, q querier, pragma, want string) {
		t.Helper()
		var got string
		if err := q.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("%s: PRAGMA %s = %q, %v; want %q", name, pragma, got, err, want)
		}
	}
	// Hold several reader connections at once so the pool opens more than one.
	var conns []querier
	for range 3 {
		c, err := d.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	conns = append(conns, d.w)
	for i, c := range conns {
		name := "reader"
		if i == len(conns)-1 {
			name = "writer"
		}
		check(name, c, "journal_mode", "wal")
		check(name, c, "synchronous", "2")
		check(name, c, "foreign_keys", "1")
		check(name, c, "busy_timeout", "10000")
	}
	if _, err := conns[0].ExecContext(ctx, `INSERT INTO meta(k, v) VALUES ('x', 1)`); err == nil {
		t.Error("reader connection accepted a write")
	}
}
