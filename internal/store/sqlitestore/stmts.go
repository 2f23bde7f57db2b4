package sqlitestore

import (
	"context"
	"database/sql"
	"sync"
)

// SQLite parses and plans a statement in about as much time as a small
// write takes to run, and the driver prepares anew for every call, so
// the statements that run again and again (those of every APPEND, LOGIN
// and SELECT) are prepared once and kept, keyed by their text.

// Limits of a statement cache: query texts built with a variable number
// of parameters could otherwise fill it without end.
const (
	maxCachedStmts   = 128
	maxCachedStmtLen = 4096
)

// stmtCache maps query texts to statements prepared on one pool.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// pending are writer queries run unprepared inside a transaction,
	// to prepare before the next one (preparing needs the writer's only
	// connection, which the transaction holds).
	pending map[string]bool
}

func cacheable(q string) bool { return len(q) <= maxCachedStmtLen }

// get returns the statement for q, or nil.
func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[q]
}

// put keeps s for q unless the cache is full or already has q; it
// reports whether s was kept (the caller closes it otherwise).
func (c *stmtCache) put(q string, s *sql.Stmt) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	if c.stmts[q] != nil || len(c.stmts) >= maxCachedStmts {
		return false
	}
	c.stmts[q] = s
	return true
}

// full reports whether the cache takes no more statements.
func (c *stmtCache) full() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts) >= maxCachedStmts
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	c.pending = nil
}

// readerDB is the reader pool with cached statements. Its methods are
// for calls that hold no connection of the pool (not inside a read
// transaction): preparing takes a connection of its own.
type readerDB struct {
	*sql.DB
	cache stmtCache
}

// stmt returns q prepared on the pool, preparing it on first use; nil
// when q is not to be cached or preparing failed (the caller then runs
// it unprepared and meets the error, if any, there).
func (r *readerDB) stmt(ctx context.Context, q string) *sql.Stmt {
	if !cacheable(q) {
		return nil
	}
	if s := r.cache.get(q); s != nil {
		return s
	}
	if r.cache.full() {
		return nil
	}
	s, err := r.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if !r.cache.put(q, s) {
		s.Close()
		return r.cache.get(q)
	}
	return s
}

// Statements run under their context without its cancellation (detach).
// With a context that can be cancelled, database/sql and the SQLite
// driver each start a goroutine per statement and per transaction to
// watch it, and the driver installs a progress handler: in the mixed
// benchmark that was more than the SQL of a short statement, and every
// IMAP command's context can be cancelled (by the server's shutdown). A
// cancelled context still stops the work at its next statement, which
// checks it first; the statements that can run long on their own, a
// SEARCH scan, keep their context (readerDB.QueryInterruptible), and
// loops over many rows check it as they go.

// detach returns ctx without its cancellation and deadline, keeping its
// values.
func detach(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// live returns ctx detached, or ctx's error once it is done.
func live(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return detach(ctx), nil
}

// rowCtx is live for QueryRowContext, which has no error to return: a
// done ctx is kept, and the row carries its error.
func rowCtx(ctx context.Context) context.Context {
	if ctx.Err() != nil {
		return ctx
	}
	return detach(ctx)
}

// QueryInterruptible is QueryContext keeping ctx's cancellation, which
// interrupts the statement while it runs: for one that may scan a whole
// mailbox.
func (r *readerDB) QueryInterruptible(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := r.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, q, args...)
}

// QueryContext is sql.DB's, with q prepared once.
func (r *readerDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx, err := live(ctx)
	if err != nil {
		return nil, err
	}
	if s := r.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.DB.QueryContext(ctx, q, args...)
}

// QueryRowContext is sql.DB's, with q prepared once.
func (r *readerDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = rowCtx(ctx)
	if s := r.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.DB.QueryRowContext(ctx, q, args...)
}

// ExecContext is sql.DB's, with q prepared once.
func (r *readerDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, err := live(ctx)
	if err != nil {
		return nil, err
	}
	if s := r.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return r.DB.ExecContext(ctx, q, args...)
}

// Close closes the cached statements and the pool.
func (r *readerDB) Close() error {
	r.cache.close()
	return r.DB.Close()
}

// prepareWriter prepares the writer queries that ran unprepared in
// earlier transactions. It runs before a transaction begins, when the
// writer's one connection is free; failures are ignored (the query runs
// unprepared).
func (d *db) prepareWriter(ctx context.Context) {
	c := &d.wcache
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for q := range pending {
		if s, err := d.w.PrepareContext(ctx, q); err == nil && !c.put(q, s) {
			s.Close()
		}
	}
}

// writerStmt returns the cached writer statement for q, or nil after
// noting q to be prepared before the next transaction.
func (d *db) writerStmt(q string) *sql.Stmt {
	if !cacheable(q) {
		return nil
	}
	c := &d.wcache
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.stmts[q]; s != nil {
		return s
	}
	if len(c.stmts)+len(c.pending) < maxCachedStmts {
		if c.pending == nil {
			c.pending = map[string]bool{}
		}
		c.pending[q] = true
	}
	return nil
}

// ExecContext runs q in the transaction, prepared once per database.
func (w *wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, err := live(ctx)
	if err != nil {
		return nil, err
	}
	if s := w.a.db.writerStmt(q); s != nil {
		return w.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return w.tx.ExecContext(ctx, q, args...)
}

// QueryContext runs q in the transaction, prepared once per database.
func (w *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx, err := live(ctx)
	if err != nil {
		return nil, err
	}
	if s := w.a.db.writerStmt(q); s != nil {
		return w.tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return w.tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs q in the transaction, prepared once per database.
func (w *wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = rowCtx(ctx)
	if s := w.a.db.writerStmt(q); s != nil {
		return w.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return w.tx.QueryRowContext(ctx, q, args...)
}

// Short reads go to the writer connection when no write holds it
// (accountDB.read). SQLite drops a connection's whole page cache when it
// begins a read transaction after another connection committed, and a
// client session commits often (a flag change, an APPEND, an EXPUNGE): in
// the mixed benchmark the reader pool's connections began nearly every
// read with an empty cache, and a LIST of five mailboxes took 180 µs. The
// writer made the last commit itself, so its cache is current. A read
// never waits for a write: when a write transaction, the watcher or the
// maintenance holds a.mu, it goes to the pool. Only reads of a few rows
// use it, so a writer that arrives meanwhile waits little.

// read runs fn with a querier for a short read.
func (a *accountDB) read(ctx context.Context, fn func(q querier) error) error {
	if !a.mu.TryLock() {
		return fn(a.db.r)
	}
	defer a.mu.Unlock()
	a.db.prepareWriter(ctx)
	return fn(writerReader{a.db})
}

// writerReader runs statements on the writer connection outside any
// transaction; a.mu is held.
type writerReader struct{ d *db }

func (r writerReader) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx, err := live(ctx)
	if err != nil {
		return nil, err
	}
	if s := r.d.writerStmt(q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return r.d.w.ExecContext(ctx, q, args...)
}

func (r writerReader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx, err := live(ctx)
	if err != nil {
		return nil, err
	}
	if s := r.d.writerStmt(q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return r.d.w.QueryContext(ctx, q, args...)
}

func (r writerReader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = rowCtx(ctx)
	if s := r.d.writerStmt(q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return r.d.w.QueryRowContext(ctx, q, args...)
}
