package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"petrel.dev/petrel/internal/store"
)

// accountDB is one account's open database and message directory, shared
// by all handles of the account in this process.
type accountDB struct {
	dir string      // accounts/<name>
	db  *db         //
	fi  os.FileInfo // of mail.db when opened, to notice a purge by another process

	// mu serialises this process's write transactions on the account and
	// the publication of their changes, so Options.OnChange sees them in
	// MODSEQ order. Other processes are serialised by SQLite's write lock
	// (BEGIN IMMEDIATE). Lock order: Store.mu, then mu.
	mu sync.Mutex

	// bg is the store's background work, nil when the store does no
	// maintenance (Options.NoMaintenance); unindexed counts appends
	// since the search indexer last started (fts.go).
	bg         *maintenance
	unindexed  atomic.Int64
	lastAppend atomic.Int64 // Unix nanoseconds
	// freePending is set while freeFilesLater's work waits.
	freePending atomic.Bool
	closed      atomic.Bool
}

// maintenance is a store's background work: cleanup at open and search
// indexing. stop (Store.Close) cancels ctx and waits for it.
type maintenance struct {
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger

	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

func newMaintenance(log *slog.Logger) *maintenance {
	m := &maintenance{log: log}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// goDo runs fn in a new goroutine unless stop was called.
func (m *maintenance) goDo(fn func(ctx context.Context)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return false
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		fn(m.ctx)
	}()
	return true
}

// stop cancels the background work and waits for it to end.
func (m *maintenance) stop() {
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
}

func openAccountDB(ctx context.Context, dir string) (*accountDB, error) {
	if err := os.MkdirAll(filepath.Join(dir, "msg"), 0o700); err != nil {
		return nil, err
	}
	d, err := openDB(ctx, filepath.Join(dir, "mail.db"), accountMigrations)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(d.path)
	if err != nil {
		d.close()
		return nil, err
	}
	return &accountDB{dir: dir, db: d, fi: fi}, nil
}

// current reports whether mail.db is still the file opened, that is,
// whether no other process purged and re-created the account since.
func (a *accountDB) current() bool {
	fi, err := os.Stat(a.db.path)
	return err == nil && os.SameFile(fi, a.fi)
}

func (a *accountDB) close() error {
	a.closed.Store(true)
	return a.db.close()
}

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// wtx is one write transaction in progress.
type wtx struct {
	ctx context.Context
	tx  *sql.Tx
	a   *accountDB
	// modseqs holds the MODSEQ this transaction took per mailbox.
	modseqs map[int64]uint64
	changes []store.Change
	// freeFiles asks for files rows without messages to be deleted;
	// freeLater for that to happen soon, in the background
	// (freeFilesLater), or now when the store does no maintenance.
	freeFiles, freeLater bool
	// unlink lists files to remove after a successful commit; undo lists
	// files to remove when the transaction fails.
	unlink, undo []string
	// quota is the account's quota, for transactions that add messages
	// (checkQuota).
	quota store.Quota
}

// Durability of a write transaction.
type durability bool

const (
	// durable transactions are fsynced at COMMIT (synchronous=FULL):
	// everything that adds mail, so that an OK or LMTP 250 is on stable
	// storage.
	durable durability = true
	// relaxed transactions commit without an fsync (synchronous=NORMAL
	// in WAL mode): flag changes and expunges, as Dovecot's default
	// mail_fsync=optimized does. They are atomic, survive a crash of the
	// process, and reach the disk with the next durable commit or WAL
	// checkpoint; a power loss may undo the last of them, never corrupt
	// the database (the WAL's chained checksums keep commits in order).
	relaxed durability = false
)

// update runs fn in a durable write transaction, commits, removes files
// no longer referenced, and passes the changes to publish, all under
// a.mu.
func (a *accountDB) update(ctx context.Context, publish func([]store.Change), fn func(w *wtx) error) error {
	return a.updateAs(ctx, durable, publish, fn)
}

// updateAs is update with the given durability.
func (a *accountDB) updateAs(ctx context.Context, d durability, publish func([]store.Change), fn func(w *wtx) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.db.prepareWriter(ctx)
	if err := a.db.setDurability(ctx, d); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := a.db.w.BeginTx(detach(ctx), nil)
	if err != nil {
		return err
	}
	w := &wtx{ctx: ctx, tx: tx, a: a, modseqs: map[int64]uint64{}}
	err = fn(w)
	if w.freeLater && a.bg == nil {
		w.freeFiles = true
	}
	if err == nil && w.freeFiles {
		err = w.collectFreeFiles()
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		tx.Rollback()
		for _, p := range w.undo {
			os.Remove(p)
		}
		return err
	}
	if len(w.unlink) > 0 && d == relaxed {
		// The rows must be gone on disk before their files are: a
		// power loss must not leave a message without its file. If
		// the sync fails, the files stay, as orphans removed at the
		// next open.
		if err := a.db.syncWAL(); err != nil {
			w.unlink = nil
		}
	}
	for _, p := range w.unlink {
		// A failure leaves an orphan, removed at the next open.
		os.Remove(p)
	}
	if publish != nil && len(w.changes) > 0 {
		publish(w.changes)
	}
	if w.freeLater && !w.freeFiles {
		a.freeFilesLater()
	}
	return nil
}

// freeDelay is how long after an EXPUNGE the files rows (and message
// files) nothing references any more are deleted.
//
// Deleting them in the EXPUNGE's own transaction cost it half its pages:
// the files row with its blobs (overflow pages to the freelist), the
// search, contents, envelopes and bodies rows, the indexes. In the
// background one transaction frees the files of every expunge of the
// last freeDelay, sharing those pages. Until then the rows and files
// stay, referenced by nothing: quota usage counts messages, not files,
// and a crash leaves them for the next open (freeFilesLater runs there
// too) or the next expunge.
const freeDelay = time.Second

// freeFilesNow deletes the files rows nothing references.
func (a *accountDB) freeFilesNow(ctx context.Context) error {
	return a.updateAs(ctx, relaxed, nil, func(w *wtx) error {
		w.freeFiles = true
		return nil
	})
}

// freeFilesLater deletes unreferenced files rows after freeDelay, in the
// background; a call while one is pending joins it. At Store.Close the
// pending work runs at once.
func (a *accountDB) freeFilesLater() {
	if !a.freePending.CompareAndSwap(false, true) {
		return
	}
	ok := a.bg.goDo(func(ctx context.Context) {
		t := time.NewTimer(freeDelay)
		select {
		case <-t.C:
		case <-ctx.Done(): // closing: free now, before the database closes
			t.Stop()
		}
		a.freePending.Store(false)
		if a.closed.Load() {
			return // purged or closed: freed at the next open
		}
		if err := a.freeFilesNow(context.WithoutCancel(ctx)); err != nil && !a.closed.Load() {
			a.bg.log.Warn("freeing expunged messages failed; retried at the next expunge or start", "dir", a.dir, "err", err)
		}
	})
	if !ok {
		a.freePending.Store(false)
	}
}

// collectFreeFiles deletes files rows that no message references and
// schedules their files for removal after the commit.
func (w *wtx) collectFreeFiles() error {
	// Inline messages (table contents) go with their files row; only
	// the others have a file to unlink.
	ids, err := queryIDs(w.ctx, w, `SELECT f.id FROM files f WHERE f.refs <= 0
		AND NOT EXISTS (SELECT 1 FROM contents c WHERE c.file_id = f.id)`)
	if err != nil {
		return err
	}
	for _, id := range ids {
		w.unlink = append(w.unlink, w.a.filePath(id))
	}
	_, err = w.ExecContext(w.ctx, `DELETE FROM files WHERE refs <= 0`)
	return err
}

// modseq returns the MODSEQ of this transaction in mailbox id, taking a
// new one (HIGHESTMODSEQ+1) on first use. RFC 7162 §3.1.
func (w *wtx) modseq(id int64) (uint64, error) {
	if m, ok := w.modseqs[id]; ok {
		return m, nil
	}
	var m uint64
	err := w.QueryRowContext(w.ctx, `UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ? RETURNING highestmodseq`, id).Scan(&m)
	if err != nil {
		return 0, fmt.Errorf("new modseq: %w", err)
	}
	w.modseqs[id] = m
	return m, nil
}

// nextUIDValidity returns a new UIDVALIDITY for the account, greater than
// any before it: max(last+1, unix time). RFC 9051 §2.3.1.1.
func (w *wtx) nextUIDValidity() (uint32, error) {
	var last int64
	err := w.QueryRowContext(w.ctx, `SELECT v FROM meta WHERE k = 'uidvalidity'`).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	v := max(last+1, time.Now().Unix())
	if v > math.MaxUint32 {
		return 0, fmt.Errorf("UIDVALIDITY exhausted: %w", store.ErrCannot)
	}
	_, err = w.ExecContext(w.ctx, `INSERT INTO meta(k, v) VALUES ('uidvalidity', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`, v)
	return uint32(v), err
}

// mbox is a mailboxes row.
type mbox struct {
	id            int64
	name          string
	specialUse    string // space-separated
	noselect      bool
	uidValidity   uint32
	uidNext       uint32
	highestModSeq uint64
	messages      uint32
	unseen        uint32
	deleted       uint32
	size          int64
}

const mboxCols = `id, name, special_use, noselect, uidvalidity, uidnext, highestmodseq, messages, unseen, deleted, size`

func scanMbox(s interface{ Scan(...any) error }) (mbox, error) {
	var m mbox
	err := s.Scan(&m.id, &m.name, &m.specialUse, &m.noselect, &m.uidValidity, &m.uidNext,
		&m.highestModSeq, &m.messages, &m.unseen, &m.deleted, &m.size)
	return m, err
}

// mboxByName reads a mailbox by (normalised) name; ErrNoMailbox if none.
func mboxByName(ctx context.Context, q querier, name string) (mbox, error) {
	m, err := scanMbox(q.QueryRowContext(ctx, `SELECT `+mboxCols+` FROM mailboxes WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return m, store.ErrNoMailbox
	}
	return m, err
}

// selectableByName is mboxByName that also fails with ErrNoSelect on a
// \Noselect placeholder.
func selectableByName(ctx context.Context, q querier, name string) (mbox, error) {
	m, err := mboxByName(ctx, q, name)
	if err == nil && m.noselect {
		err = store.ErrNoSelect
	}
	return m, err
}

// mboxByID reads a selectable mailbox by id; ErrNoMailbox once the
// mailbox was deleted (a \Noselect placeholder left by DELETE has a new id).
func mboxByID(ctx context.Context, q querier, id int64) (mbox, error) {
	m, err := scanMbox(q.QueryRowContext(ctx, `SELECT `+mboxCols+` FROM mailboxes WHERE id = ? AND noselect = 0`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, store.ErrNoMailbox
	}
	return m, err
}

// hasChildren reports whether any mailbox is below name.
func hasChildren(ctx context.Context, q querier, name string) (bool, error) {
	var n int
	// '0' is the byte after '/': the range is exactly the names
	// starting with name+"/".
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM mailboxes WHERE name > ? AND name < ? LIMIT 1)`,
		name+"/", name+"0").Scan(&n)
	return n > 0, err
}

// insertMailbox creates a new mailbox incarnation.
func (w *wtx) insertMailbox(name, specialUse string, noselect bool) (int64, error) {
	uv, err := w.nextUIDValidity()
	if err != nil {
		return 0, err
	}
	var id int64
	err = w.QueryRowContext(w.ctx, `INSERT INTO mailboxes(name, special_use, noselect, uidvalidity) VALUES (?, ?, ?, ?) RETURNING id`,
		name, specialUse, noselect, uv).Scan(&id)
	if err != nil {
		return 0, err
	}
	w.changes = append(w.changes, store.Change{MailboxID: id, Kind: store.ChangeMailbox, ModSeq: 1})
	return id, nil
}

// createMailbox creates name and its missing parents (RFC 9051 §6.3.4).
// A \Noselect placeholder of that name becomes selectable with a new
// UIDVALIDITY.
func (w *wtx) createMailbox(name string, specialUse []string) error {
	su, err := joinSpecialUse(specialUse)
	if err != nil {
		return err
	}
	for _, p := range parents(name) {
		if _, err := mboxByName(w.ctx, w, p); errors.Is(err, store.ErrNoMailbox) {
			if _, err := w.insertMailbox(p, "", false); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	m, err := mboxByName(w.ctx, w, name)
	switch {
	case errors.Is(err, store.ErrNoMailbox):
		_, err = w.insertMailbox(name, su, false)
		return err
	case err != nil:
		return err
	case !m.noselect:
		return store.ErrMailboxExists
	}
	uv, err := w.nextUIDValidity()
	if err != nil {
		return err
	}
	if _, err := w.ExecContext(w.ctx, `UPDATE mailboxes SET noselect = 0, special_use = ?, uidvalidity = ? WHERE id = ?`, su, uv, m.id); err != nil {
		return err
	}
	w.changes = append(w.changes, store.Change{MailboxID: m.id, Kind: store.ChangeMailbox, ModSeq: m.highestModSeq})
	return nil
}

// joinSpecialUse validates special-use attributes (RFC 6154 §2) and
// joins them for storage.
func joinSpecialUse(attrs []string) (string, error) {
	if len(attrs) > 16 {
		return "", fmt.Errorf("too many special-use attributes: %w", store.ErrCannot)
	}
	for _, a := range attrs {
		if len(a) < 2 || len(a) > 64 || a[0] != '\\' || !validFlag(a) {
			return "", fmt.Errorf("invalid special-use attribute %q: %w", a, store.ErrCannot)
		}
	}
	return strings.Join(attrs, " "), nil
}

// defaultMailboxes are created with every account (RFC 6154 §2).
var defaultMailboxes = []struct{ name, use string }{
	{"INBOX", ""},
	{"Drafts", `\Drafts`},
	{"Sent", `\Sent`},
	{"Trash", `\Trash`},
	{"Junk", `\Junk`},
	{"Archive", `\Archive`},
}

// createDefaults creates the default mailboxes that do not exist yet and
// subscribes them.
func (a *accountDB) createDefaults(ctx context.Context) error {
	return a.update(ctx, nil, func(w *wtx) error {
		for _, d := range defaultMailboxes {
			if _, err := mboxByName(ctx, w, d.name); err == nil {
				continue
			} else if !errors.Is(err, store.ErrNoMailbox) {
				return err
			}
			var su []string
			if d.use != "" {
				su = []string{d.use}
			}
			if err := w.createMailbox(d.name, su); err != nil {
				return fmt.Errorf("create %s: %w", d.name, err)
			}
			if _, err := w.ExecContext(ctx, `INSERT OR IGNORE INTO subscriptions(name) VALUES (?)`, d.name); err != nil {
				return err
			}
		}
		return nil
	})
}
