package sqlitestore

// External change detection.
//
// Other processes write to the same databases: `petrel deliver` run by
// the MTA, the `user` CLI. Their commits never pass through this
// process's Options.OnChange, so IDLE sessions would not learn of their
// mail. When Options.OnChange is set, a watcher goroutine therefore polls
// every account this process has opened: every watchInterval it reads
// PRAGMA data_version on a dedicated connection per account database,
// which changes whenever another connection (of any process) committed.
// Only then does it read the mailboxes table and, for each mailbox whose
// HIGHESTMODSEQ grew beyond what was published, the messages and
// expunged rows with a greater MODSEQ (RFC 7162 §3.1 gives each
// transaction one new MODSEQ per mailbox, so the rows of one transaction
// share it).
//
// This process's own commits are told apart by wrapping Options.OnChange:
// every change published here records its MODSEQ (and appended UIDs) in
// the account's watch state, so the poll skips them. The poll runs under
// accountDB.mu, the same lock this process's writes hold until their
// changes are published, so the state is exact and the watcher's changes
// go out in MODSEQ order with the others. When this process publishes a
// change whose MODSEQ is not the next one after those already published,
// another process committed in between: the wrapper first publishes that
// mailbox's missing changes, so that a session never sees UID n+1
// appended before UID n.
//
// Classification of a row with MODSEQ > the published baseline:
//   - a message with UID ≥ the baseline UIDNEXT not yet announced →
//     ChangeAppend (with its current flags);
//   - any other message whose MODSEQ is not one of ours → ChangeFlags;
//   - an expunged UID whose MODSEQ is not ours → ChangeExpunge, unless the
//     message was never announced;
//   - mailboxes that appeared, disappeared or changed name → ChangeMailbox.
//
// Each poll reads at most about watchMaxRows rows per mailbox (a single
// transaction's rows are never split); a larger backlog is published
// over the following polls.

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"time"

	"petrel.dev/petrel/internal/store"
)

const (
	// watchInterval is how often data_version is read.
	watchInterval = 250 * time.Millisecond
	// watchMaxRows bounds the rows read per mailbox and poll.
	watchMaxRows = 1000
	// watchTimeout bounds one poll of one account.
	watchTimeout = 10 * time.Second
)

// watcher publishes changes committed by other processes.
type watcher struct {
	onChange func(store.Change) // the caller's Options.OnChange
	interval time.Duration
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	mu sync.Mutex
	// accounts holds the watched accounts by name; guarded by mu. Lock
	// order: Store.mu, then accountDB.mu, then watched.smu, then mu.
	accounts map[string]*watched
}

// watched is one account's watch state.
type watched struct {
	name string
	a    *accountDB
	// vdb holds the one connection whose data_version is compared; only
	// the watcher goroutine uses it and version.
	vdb     *sql.DB
	version int64

	// smu guards boxes. It is taken under a.mu, and it only matters when
	// a stale handle of a purged-and-recreated account (another
	// accountDB, another a.mu) publishes a change.
	smu sync.Mutex
	// boxes is the published state per mailbox id; guarded by smu.
	boxes map[int64]*boxState
}

// boxState is what has been published of one mailbox.
type boxState struct {
	name    string
	modseq  uint64 // every change up to this MODSEQ is published
	uidNext uint32 // every UID below this is announced
	// own holds MODSEQs above modseq published by this process.
	own map[uint64]bool
	// announced holds UIDs ≥ uidNext already announced (by this
	// process's appends or by the watcher).
	announced map[uint32]bool
	// ownMailbox is set when this process published a ChangeMailbox for
	// it since the last poll (a create or rename already told).
	ownMailbox bool
}

func newBoxState(name string, modseq uint64, uidNext uint32) *boxState {
	return &boxState{name: name, modseq: modseq, uidNext: uidNext, own: map[uint64]bool{}, announced: map[uint32]bool{}}
}

// startWatch wraps s.opts.OnChange and starts the watcher, when there is
// an OnChange to publish to.
func (s *Store) startWatch() {
	if s.opts.OnChange == nil {
		return
	}
	w := &watcher{
		onChange: s.opts.OnChange,
		interval: watchInterval,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		accounts: map[string]*watched{},
	}
	s.watch = w
	s.opts.OnChange = w.publishOwn
	go w.run()
}

// stopWatch ends the watcher and waits for it.
func (s *Store) stopWatch() {
	w := s.watch
	if w == nil {
		return
	}
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, wa := range w.accounts {
		wa.vdb.Close()
		delete(w.accounts, name)
	}
}

// watchAccountLocked starts watching an account just opened, with the
// current state as the published baseline. s.mu is held.
func (s *Store) watchAccountLocked(ctx context.Context, name string, a *accountDB) error {
	w := s.watch
	if w == nil {
		return nil
	}
	vdb, err := sql.Open("sqlite", dsn(a.db.path, false))
	if err != nil {
		return err
	}
	vdb.SetMaxOpenConns(1)
	vdb.SetMaxIdleConns(1)
	wa := &watched{name: name, a: a, vdb: vdb, boxes: map[int64]*boxState{}}
	a.mu.Lock()
	wa.smu.Lock()
	err = vdb.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&wa.version)
	if err == nil {
		err = wa.baselineLocked(ctx)
	}
	wa.smu.Unlock()
	a.mu.Unlock()
	if err != nil {
		vdb.Close()
		return err
	}
	w.mu.Lock()
	if old := w.accounts[name]; old != nil {
		old.vdb.Close()
	}
	w.accounts[name] = wa
	w.mu.Unlock()
	return nil
}

// baselineLocked records every mailbox's current state as published;
// wa.smu is held.
func (wa *watched) baselineLocked(ctx context.Context) error {
	rows, err := wa.a.db.r.QueryContext(ctx, `SELECT id, name, uidnext, highestmodseq FROM mailboxes`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		var uidNext uint32
		var hms uint64
		if err := rows.Scan(&id, &name, &uidNext, &hms); err != nil {
			return err
		}
		wa.boxes[id] = newBoxState(name, hms, uidNext)
	}
	return rows.Err()
}

// publishOwn is the Options.OnChange the backend calls, under the
// account's a.mu (it takes wa.smu), for this process's changes: it records them as
// published and passes them on, after any change another process made
// just before.
func (w *watcher) publishOwn(c store.Change) {
	w.mu.Lock()
	wa := w.accounts[c.Account]
	w.mu.Unlock()
	if wa != nil {
		wa.smu.Lock()
		defer wa.smu.Unlock()
		b := wa.boxes[c.MailboxID]
		switch {
		case c.Kind == store.ChangeMailbox && c.Deleted:
			delete(wa.boxes, c.MailboxID)
		case c.Kind == store.ChangeMailbox:
			if b == nil {
				// A new mailbox starts at HIGHESTMODSEQ 1, UIDNEXT 1.
				b = newBoxState("", 1, 1)
				wa.boxes[c.MailboxID] = b
			}
			b.ownMailbox = true
		case b != nil:
			if c.ModSeq > b.modseq && !b.own[c.ModSeq] && wa.gapBelow(b, c.ModSeq) {
				ctx, cancel := context.WithTimeout(context.Background(), watchTimeout)
				// Best effort: on failure the next poll publishes them.
				wa.catchUpLocked(ctx, w, c.MailboxID, b, c.ModSeq-1)
				cancel()
			}
			b.own[c.ModSeq] = true
			if c.Kind == store.ChangeAppend {
				for _, m := range c.Messages {
					if m.UID >= b.uidNext {
						b.announced[m.UID] = true
					}
				}
			}
		}
	}
	w.onChange(c)
}

// gapBelow reports whether some MODSEQ between b.modseq and ms was
// neither published by this process nor by the watcher.
func (wa *watched) gapBelow(b *boxState, ms uint64) bool {
	var n uint64
	for o := range b.own {
		if o > b.modseq && o < ms {
			n++
		}
	}
	return n < ms-1-b.modseq
}

// catchUpLocked publishes the changes of one mailbox up to MODSEQ upper.
func (wa *watched) catchUpLocked(ctx context.Context, w *watcher, id int64, b *boxState, upper uint64) error {
	tx, err := wa.a.db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cs, err := wa.boxChanges(ctx, tx, id, b, upper, 0)
	if err != nil {
		return err
	}
	w.publish(wa.name, cs)
	return nil
}

// run polls until stop is closed.
func (w *watcher) run() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		w.mu.Lock()
		list := make([]*watched, 0, len(w.accounts))
		for _, wa := range w.accounts {
			list = append(list, wa)
		}
		w.mu.Unlock()
		for _, wa := range list {
			if err := w.poll(wa); err != nil {
				// The account was closed (Store.Close, a purge):
				// forget it; OpenAccount watches it again.
				w.mu.Lock()
				if w.accounts[wa.name] == wa {
					delete(w.accounts, wa.name)
					wa.vdb.Close()
				}
				w.mu.Unlock()
			}
		}
	}
}

// poll publishes an account's external changes if its data_version
// moved. It returns an error only when the account is gone.
func (w *watcher) poll(wa *watched) error {
	ctx, cancel := context.WithTimeout(context.Background(), watchTimeout)
	defer cancel()
	var v int64
	if err := wa.vdb.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return err
	}
	if v == wa.version {
		return nil
	}
	wa.a.mu.Lock()
	wa.smu.Lock()
	err := wa.pollLocked(ctx, w)
	wa.smu.Unlock()
	wa.a.mu.Unlock()
	if errors.Is(err, sql.ErrConnDone) || err != nil && wa.a.db.r.PingContext(ctx) != nil {
		return err
	}
	if err == nil {
		// On another error (say SQLITE_BUSY) the version is kept, so
		// the next tick tries again.
		wa.version = v
	}
	return nil
}

// pollLocked compares the mailboxes with the published state and
// publishes the differences. wa.a.mu and wa.smu are held.
func (wa *watched) pollLocked(ctx context.Context, w *watcher) error {
	tx, err := wa.a.db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	type row struct {
		id      int64
		name    string
		uidNext uint32
		hms     uint64
	}
	var boxes []row
	rows, err := tx.QueryContext(ctx, `SELECT id, name, uidnext, highestmodseq FROM mailboxes ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.name, &r.uidNext, &r.hms); err != nil {
			rows.Close()
			return err
		}
		boxes = append(boxes, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	var changes []store.Change
	seen := make(map[int64]bool, len(boxes))
	for _, r := range boxes {
		seen[r.id] = true
		b := wa.boxes[r.id]
		switch {
		case b == nil:
			// Created by another process; its rows follow.
			b = newBoxState(r.name, 1, 1)
			wa.boxes[r.id] = b
			changes = append(changes, store.Change{MailboxID: r.id, Kind: store.ChangeMailbox, ModSeq: 1})
		case b.name != r.name && !b.ownMailbox:
			changes = append(changes, store.Change{MailboxID: r.id, Kind: store.ChangeMailbox, ModSeq: b.modseq})
		}
		b.name, b.ownMailbox = r.name, false
		if r.hms <= b.modseq {
			continue
		}
		cs, err := wa.boxChanges(ctx, tx, r.id, b, r.hms, r.uidNext)
		if err != nil {
			return err
		}
		changes = append(changes, cs...)
	}
	for id, b := range wa.boxes {
		if !seen[id] {
			delete(wa.boxes, id)
			changes = append(changes, store.Change{MailboxID: id, Kind: store.ChangeMailbox, ModSeq: b.modseq, Deleted: true})
		}
	}
	w.publish(wa.name, changes)
	return nil
}

// event is one row that changed.
type event struct {
	modseq uint64
	kind   store.ChangeKind
	meta   store.MessageMeta // ChangeAppend, ChangeFlags
	uid    uint32            // ChangeExpunge
}

// boxChanges reads the rows of mailbox id with b.modseq < MODSEQ ≤ upper
// (at most about watchMaxRows of them), classifies them, advances b and
// returns the changes to publish. uidNext is the mailbox's UIDNEXT when
// upper is its HIGHESTMODSEQ, else 0.
func (wa *watched) boxChanges(ctx context.Context, tx *sql.Tx, id int64, b *boxState, upper uint64, uidNext uint32) ([]store.Change, error) {
	// Fast path: every MODSEQ in range is this process's own.
	if upper-b.modseq <= uint64(len(b.own)) {
		all := true
		for ms := b.modseq + 1; ms <= upper; ms++ {
			if !b.own[ms] {
				all = false
				break
			}
		}
		if all {
			b.advance(upper, uidNext)
			return nil, nil
		}
	}
	// Bound the rows: stop before the transaction of the row past
	// watchMaxRows in either table, unless that would stop at nothing.
	end := upper
	for _, q := range []string{
		`SELECT modseq FROM messages WHERE mailbox_id = ? AND modseq > ? ORDER BY modseq LIMIT 1 OFFSET ?`,
		`SELECT modseq FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY modseq LIMIT 1 OFFSET ?`,
	} {
		var cut uint64
		err := tx.QueryRowContext(ctx, q, id, b.modseq, watchMaxRows).Scan(&cut)
		if err == nil && cut-1 > b.modseq {
			end = min(end, cut-1)
		} else if err == nil {
			end = min(end, cut)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}

	var evs []event
	rows, err := tx.QueryContext(ctx, `SELECT `+metaCols+` FROM messages WHERE mailbox_id = ? AND modseq > ? AND modseq <= ? ORDER BY modseq, uid`,
		id, b.modseq, end)
	if err != nil {
		return nil, err
	}
	z := zones{}
	for rows.Next() {
		m, err := scanMeta(rows, z, nil)
		if err != nil {
			rows.Close()
			return nil, err
		}
		switch {
		case m.UID >= b.uidNext && !b.announced[m.UID]:
			b.announced[m.UID] = true
			evs = append(evs, event{modseq: m.ModSeq, kind: store.ChangeAppend, meta: m})
		case !b.own[m.ModSeq]:
			evs = append(evs, event{modseq: m.ModSeq, kind: store.ChangeFlags, meta: m})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT uid, modseq FROM expunged WHERE mailbox_id = ? AND modseq > ? AND modseq <= ?`,
		id, b.modseq, end)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var e event
		if err := rows.Scan(&e.uid, &e.modseq); err != nil {
			rows.Close()
			return nil, err
		}
		if b.own[e.modseq] || e.uid >= b.uidNext && !b.announced[e.uid] {
			continue // told already, or never announced
		}
		e.kind = store.ChangeExpunge
		evs = append(evs, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if end < upper {
		uidNext = 0
	}
	b.advance(end, uidNext)
	if len(evs) == 0 {
		return nil, nil
	}

	// One Change per (MODSEQ, kind), in MODSEQ order; within a MODSEQ,
	// appends before flags before expunges (MOVE's order, RFC 6851 §4.3).
	slices.SortStableFunc(evs, func(x, y event) int {
		if x.modseq != y.modseq {
			if x.modseq < y.modseq {
				return -1
			}
			return 1
		}
		return int(x.kind) - int(y.kind)
	})
	kws, err := mailboxKeywords(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	var cs []store.Change
	for _, e := range evs {
		n := len(cs)
		if n == 0 || cs[n-1].ModSeq != e.modseq || cs[n-1].Kind != e.kind {
			cs = append(cs, store.Change{MailboxID: id, Kind: e.kind, ModSeq: e.modseq})
			n++
		}
		if e.kind == store.ChangeExpunge {
			cs[n-1].UIDs = append(cs[n-1].UIDs, e.uid)
		} else {
			cs[n-1].Messages = append(cs[n-1].Messages, e.meta)
		}
	}
	// The keywords of the mailbox, so that flags set elsewhere are
	// announced; subscribers add the ones they do not know.
	cs[0].Keywords = kws
	return cs, nil
}

// advance moves b's baseline to modseq, and to uidNext when non-zero
// (the mailbox is caught up); entries below the baseline are dropped.
func (b *boxState) advance(modseq uint64, uidNext uint32) {
	b.modseq = max(b.modseq, modseq)
	for ms := range b.own {
		if ms <= b.modseq {
			delete(b.own, ms)
		}
	}
	if uidNext > b.uidNext {
		b.uidNext = uidNext
		for u := range b.announced {
			if u < uidNext {
				delete(b.announced, u)
			}
		}
	}
}

// publish passes changes of account to the caller's OnChange.
func (w *watcher) publish(account string, cs []store.Change) {
	for _, c := range cs {
		c.Account = account
		w.onChange(c)
	}
}
