package imapserver

import (
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"petrel.dev/petrel/internal/store"
)

// The shared state of open mailboxes.
//
// The first session to select a mailbox loads its Snapshot once; every
// later SELECT, NOOP and IDLE on it reads memory. The store reports each
// committed change through Server.OnChange; hub.apply folds it into the
// mailbox's message list and appends it to the mailbox's change log.
// Each selected session keeps its own view (its sequence-number → UID
// map) and a cursor into the log; flushUpdates turns the log entries it
// has not seen into EXISTS, EXPUNGE, FETCH and FLAGS responses, at the
// moments RFC 9051 §7.5.1 allows.
//
// With thousands of sessions on one mailbox (a phone, a laptop and a
// webmail each keeping IDLE open, times every device ever logged in) the
// per-session cost matters more than anything else:
//   - A session whose view equals the mailbox's — every session that has
//     reported all expunges — shares the box's UID list (sharedBox.uids)
//     instead of holding a copy; it copies only when it must differ
//     (expunges it may not report yet, RFC 9051 §7.5.1), and shares again
//     once they are reported. The box appends to its list in place
//     (sessions never read beyond their own length) and replaces it on
//     expunge, so a shared list is never modified under a reader.
//   - apply signals sessions after releasing sharedBox.mu, and sessions
//     read the box under a read lock, so waking ten thousand sessions
//     does not make them queue on one mutex.
//   - The log is trimmed by copying, never cleared in place: a session
//     may still be reading the entries it took under the lock.

type mailboxKey struct {
	account string
	id      int64
}

type hub struct {
	mu    sync.Mutex // guards boxes
	boxes map[mailboxKey]*sharedBox
}

func newHub() *hub { return &hub{boxes: make(map[mailboxKey]*sharedBox)} }

// sharedBox is the in-memory state of one open mailbox.
type sharedBox struct {
	key       mailboxKey
	refs      int           // guarded by hub.mu
	idleSince time.Time     // guarded by hub.mu: when refs fell to 0
	ready     chan struct{} // closed when loading ends

	// recentUID is the highest UID some session has seen as \Recent
	// (RFC 3501 §2.3.2): each new message is recent in one session.
	recentUID atomic.Uint32

	mu            sync.RWMutex // guards everything below
	loading       bool
	loadErr       error
	pending       []store.Change // changes that arrived while loading
	uidValidity   uint32
	uidNext       uint32
	highestModSeq uint64
	keywords      []string
	msgs          []store.MessageMeta // sorted by UID
	// uids are the UIDs of msgs. Sessions share this slice (see above):
	// it is only appended to in place, and replaced on expunge.
	uids     []uint32
	deleted  bool
	log      []store.Change
	logBase  uint64 // absolute index of log[0]
	sessions map[*session]*selected
}

// Boxes no session has selected stay loaded (and kept current by
// OnChange) for idleTTL, at most maxIdle of them, so a client that
// reconnects — the usual mobile pattern — does not reload a large
// mailbox's snapshot.
const (
	idleTTL = 10 * time.Minute
	maxIdle = 64
)

// open returns the shared state of mbox, loading it if no session has it.
// current, called before an idle box is reused, returns the mailbox's
// UIDVALIDITY and HIGHESTMODSEQ from the store: a box that disagrees (a
// change it missed, or an account deleted and created again) is loaded
// afresh. The caller must release the box.
func (h *hub) open(ctx context.Context, account string, mbox store.Mailbox, current func() (uint32, uint64, error)) (*sharedBox, error) {
	key := mailboxKey{account, mbox.ID()}
	h.mu.Lock()
	b := h.boxes[key]
	if b != nil && b.refs == 0 {
		h.mu.Unlock()
		uv, hms, err := current()
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		fresh := !b.loading && b.loadErr == nil && b.uidValidity == uv && max(b.highestModSeq, 1) == max(hms, 1)
		b.mu.Unlock()
		h.mu.Lock()
		if !fresh && h.boxes[key] == b && b.refs == 0 {
			delete(h.boxes, key)
		}
		b = h.boxes[key]
	}
	if b != nil {
		b.refs++
		h.mu.Unlock()
		select {
		case <-b.ready:
		case <-ctx.Done():
			h.release(b)
			return nil, ctx.Err()
		}
		if b.loadErr != nil {
			h.release(b)
			return nil, b.loadErr
		}
		return b, nil
	}
	b = &sharedBox{key: key, refs: 1, ready: make(chan struct{}), loading: true, sessions: make(map[*session]*selected)}
	h.boxes[key] = b
	h.mu.Unlock()

	snap, err := mbox.Snapshot(ctx)
	b.mu.Lock()
	if err != nil {
		b.loadErr = err
	} else {
		b.uidValidity = snap.UIDValidity
		b.uidNext = snap.UIDNext
		b.highestModSeq = snap.HighestModSeq
		b.keywords = snap.Keywords
		b.msgs = snap.Messages
		b.uids = make([]uint32, len(snap.Messages))
		for i, m := range snap.Messages {
			b.uids[i] = m.UID
		}
		b.recentUID.Store(snap.UIDNext - 1)
		for _, c := range b.pending {
			if c.Kind == store.ChangeMailbox || c.ModSeq > snap.HighestModSeq {
				b.applyLocked(c)
			}
		}
	}
	b.pending = nil
	b.loading = false
	close(b.ready)
	b.mu.Unlock()
	if err != nil {
		h.release(b)
		return nil, err
	}
	return b, nil
}

func (h *hub) release(b *sharedBox) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b.refs--
	if b.refs > 0 || h.boxes[b.key] != b {
		return
	}
	if b.loadErr != nil {
		delete(h.boxes, b.key)
		return
	}
	now := time.Now()
	b.idleSince = now
	h.evictLocked(now)
}

// evictLocked drops idle boxes older than idleTTL, and the oldest beyond
// maxIdle.
func (h *hub) evictLocked(now time.Time) {
	var idle []*sharedBox
	for k, b := range h.boxes {
		if b.refs > 0 {
			continue
		}
		if now.Sub(b.idleSince) > idleTTL {
			delete(h.boxes, k)
			continue
		}
		idle = append(idle, b)
	}
	if len(idle) <= maxIdle {
		return
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].idleSince.Before(idle[j].idleSince) })
	for _, b := range idle[:len(idle)-maxIdle] {
		delete(h.boxes, b.key)
	}
}

// apply is Server.OnChange: it runs on the store's commit path and must
// not block.
func (h *hub) apply(c store.Change) {
	h.mu.Lock()
	b := h.boxes[mailboxKey{c.Account, c.MailboxID}]
	h.mu.Unlock()
	if b == nil {
		return
	}
	b.mu.Lock()
	if b.loading {
		b.pending = append(b.pending, c)
		b.mu.Unlock()
		return
	}
	b.applyLocked(c)
	wake := make([]*session, 0, len(b.sessions))
	for s := range b.sessions {
		wake = append(wake, s)
	}
	b.mu.Unlock()
	// Outside the lock: a signalled session takes it (to read) at once.
	signalAll(wake)
}

// maxLog is the change-log length above which entries every session has
// seen are trimmed.
const maxLog = 256

func (b *sharedBox) applyLocked(c store.Change) {
	switch c.Kind {
	case store.ChangeAppend:
		for _, m := range c.Messages {
			if n := len(b.msgs); n > 0 && m.UID <= b.msgs[n-1].UID {
				continue
			}
			b.msgs = append(b.msgs, m)
			b.uids = append(b.uids, m.UID)
			if m.UID >= b.uidNext {
				b.uidNext = m.UID + 1
			}
		}
	case store.ChangeFlags:
		for _, m := range c.Messages {
			if i, ok := b.indexLocked(m.UID); ok {
				b.msgs[i].Flags = m.Flags
				b.msgs[i].ModSeq = m.ModSeq
			}
		}
	case store.ChangeExpunge:
		gone := make(map[uint32]bool, len(c.UIDs))
		for _, u := range c.UIDs {
			gone[u] = true
		}
		kept := b.msgs[:0]
		for _, m := range b.msgs {
			if !gone[m.UID] {
				kept = append(kept, m)
			}
		}
		clear(b.msgs[len(kept):])
		b.msgs = kept
		// A new list: sessions may share the old one.
		b.uids = make([]uint32, len(kept))
		for i, m := range kept {
			b.uids[i] = m.UID
		}
	case store.ChangeMailbox:
		if c.Deleted {
			b.deleted = true
		}
	}
	for _, k := range c.Keywords {
		if !containsFold(b.keywords, k) {
			b.keywords = append(b.keywords, k)
		}
	}
	b.highestModSeq = max(b.highestModSeq, c.ModSeq)
	b.log = append(b.log, c)
	if len(b.log) > maxLog {
		b.trimLogLocked()
	}
}

func (b *sharedBox) trimLogLocked() {
	end := b.logBase + uint64(len(b.log))
	lowest := end
	for _, sel := range b.sessions {
		lowest = min(lowest, sel.cursor)
	}
	if n := lowest - b.logBase; n > 0 {
		// Copied, not cleared in place: flushUpdates reads the entries
		// it took after releasing the lock.
		b.log = append([]store.Change(nil), b.log[n:]...)
		b.logBase = lowest
	}
}

func (b *sharedBox) indexLocked(uid uint32) (int, bool) {
	i := sort.Search(len(b.msgs), func(i int) bool { return b.msgs[i].UID >= uid })
	return i, i < len(b.msgs) && b.msgs[i].UID == uid
}

// highestModSeqNow returns the mailbox's HIGHESTMODSEQ, at least 1
// (mod-sequences are positive, RFC 7162 §3.1).
func (b *sharedBox) highestModSeqNow() uint64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return max(b.highestModSeq, 1)
}

// uidNextNow returns the mailbox's UIDNEXT.
func (b *sharedBox) uidNextNow() uint32 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.uidNext
}

// meta returns the current metadata of uid.
func (b *sharedBox) meta(uid uint32) (store.MessageMeta, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	i, ok := b.indexLocked(uid)
	if !ok {
		return store.MessageMeta{}, false
	}
	return b.msgs[i], true
}

// metas returns the current metadata of uids (ascending); missing ones
// (expunged by another session) are left out.
func (b *sharedBox) metas(uids []uint32) []store.MessageMeta {
	out := make([]store.MessageMeta, 0, len(uids))
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, u := range uids {
		if i, ok := b.indexLocked(u); ok {
			out = append(out, b.msgs[i])
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
