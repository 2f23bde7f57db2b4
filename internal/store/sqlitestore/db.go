package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// busyTimeoutMS is how long a connection waits for another connection's
// (or process's) lock before failing with SQLITE_BUSY.
const busyTimeoutMS = 10000

// maxReaders caps the reader pool of each database.
const maxReaders = 8

// readerIdleTime is how long a reader connection may stay unused before
// it is closed.
const readerIdleTime = 5 * time.Minute

// db is one SQLite database opened as a pool of readers plus one writer.
type db struct {
	path string
	r    *readerDB // readers: deferred transactions, query_only
	w    *sql.DB   // the single writer: every transaction is BEGIN IMMEDIATE
	// wcache holds the writer's prepared statements (stmts.go).
	wcache stmtCache
	// relaxed is the writer connection's synchronous setting: false is
	// FULL (the DSN's), true NORMAL. Guarded by the caller's write lock
	// (accountDB.mu).
	relaxed bool
}

// setDurability sets PRAGMA synchronous on the writer connection for the
// next transaction (it cannot change inside one). A replaced connection
// starts with the DSN's FULL: the safe side of a stale d.relaxed.
func (d *db) setDurability(ctx context.Context, want durability) error {
	relax := want == relaxed
	if relax == d.relaxed {
		return nil
	}
	mode := "FULL"
	if relax {
		mode = "NORMAL"
	}
	// Not a cached statement: SQLite applies this pragma when it
	// prepares it, not when it runs.
	if _, err := d.w.ExecContext(detach(ctx), "PRAGMA synchronous = "+mode); err != nil {
		return fmt.Errorf("synchronous %s: %w", mode, err)
	}
	d.relaxed = relax
	return nil
}

// syncWAL fsyncs the write-ahead log, making every commit so far durable.
// A missing WAL (just checkpointed and removed) has nothing to sync.
func (d *db) syncWAL() error {
	if err := syncPath(d.path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// dsn builds a DSN whose pragmas apply to every pooled connection.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if writer {
		q.Set("_txlock", "immediate")
		// Statement journals in memory: a multi-row DELETE (freeing
		// files, whose rows cascade) needs one, and past 64 KiB SQLite
		// spilled it to a new temporary file: open, write, unlink and
		// close on every EXPUNGE, 5% of the server's CPU in the mixed
		// benchmark. A statement journal holds the pages one statement
		// changes, so it stays small.
		q.Add("_pragma", "temp_store(MEMORY)")
	} else {
		q.Add("_pragma", "query_only(1)")
		// Readers map the database instead of pread'ing each page:
		// about 10% less CPU for a FETCH of 20,000 envelopes. It is
		// address space, not memory: pages are shared with the page
		// cache.
		q.Add("_pragma", "mmap_size(268435456)")
	}
	return path + "?" + q.Encode()
}

// openDB opens path (creating it) and brings its schema up to date with
// migrate, which runs inside a write transaction.
func openDB(ctx context.Context, path string, migrations []string) (*db, error) {
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	if err := migrate(ctx, w, migrations); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(maxReaders)
	r.SetMaxIdleConns(maxReaders)
	// Accounts stay open while the server runs: readers unused for a
	// while are closed, with their page caches, so that an account
	// nobody reads costs one connection (the writer), not nine.
	r.SetConnMaxIdleTime(readerIdleTime)
	return &db{path: path, r: &readerDB{DB: r}, w: w}, nil
}

// migrate applies migrations[v:] where v is PRAGMA user_version, each
// entry bringing the schema from version i to i+1, in one transaction.
func migrate(ctx context.Context, w *sql.DB, migrations []string) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program (%d)", v, len(migrations))
	}
	if v == len(migrations) {
		return nil
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("schema version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

// close closes both pools.
func (d *db) close() error {
	d.wcache.close()
	err1 := d.r.Close()
	err2 := d.w.Close()
	if err1 != nil {
		return err1
	}
	return err2
}
