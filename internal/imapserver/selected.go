package imapserver

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// selected is a session's view of its selected mailbox (RFC 9051 §3.3).
type selected struct {
	box      *sharedBox
	mbox     store.Mailbox
	name     string
	readOnly bool

	// uids maps sequence numbers to UIDs: n is uids[n-1]; ascending.
	// While shared it is the box's list (mailboxstate.go) and read-only;
	// own makes a private copy before a change.
	uids           []uint32
	shared         bool
	cursor         uint64          // next box.log index to process (written under box.mu's read lock, read under its lock)
	pendingExpunge []uint32        // expunges not yet reported (RFC 9051 §7.5.1)
	recent         map[uint32]bool // nil until a message is recent here
	keywordsSent   int             // how many box keywords the client was told of
}

// own makes sel.uids a private copy that may be changed.
func (sel *selected) own() {
	if sel.shared {
		sel.uids = slices.Clone(sel.uids)
		sel.shared = false
	}
}

// seqOf returns the sequence number of uid in the view, or 0.
func (sel *selected) seqOf(uid uint32) uint32 {
	i := sort.Search(len(sel.uids), func(i int) bool { return sel.uids[i] >= uid })
	if i < len(sel.uids) && sel.uids[i] == uid {
		return uint32(i + 1)
	}
	return 0
}

func (sel *selected) maxUID() uint32 {
	if len(sel.uids) == 0 {
		return 0
	}
	return sel.uids[len(sel.uids)-1]
}

// resolve returns the sequence numbers (ascending, unique) a set names in
// the view. For UID sets, UIDs not in the view are ignored (RFC 9051
// §6.4.8); "*" is the largest UID (or sequence number) in use.
func (s *session) resolve(set imap.SeqSet, uid bool) []uint32 {
	sel := s.sel
	n := uint32(len(sel.uids))
	if set.Saved {
		var out []uint32
		for _, u := range s.saved {
			if seq := sel.seqOf(u); seq > 0 {
				out = append(out, seq)
			}
		}
		return sortUnique(out)
	}
	if n == 0 {
		return nil
	}
	var out []uint32
	for _, r := range set.Ranges {
		if uid {
			lo, hi := r.Start, r.Stop
			top := sel.maxUID()
			if lo == 0 {
				lo = top
			}
			if hi == 0 {
				hi = top
			}
			if lo > hi {
				lo, hi = hi, lo
			}
			i := sort.Search(len(sel.uids), func(i int) bool { return sel.uids[i] >= lo })
			for ; i < len(sel.uids) && sel.uids[i] <= hi; i++ {
				out = append(out, uint32(i+1))
			}
			continue
		}
		lo, hi := r.Start, r.Stop
		if lo == 0 {
			lo = n
		}
		if hi == 0 {
			hi = n
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if lo > n {
			continue
		}
		hi = min(hi, n)
		for q := lo; q <= hi; q++ {
			out = append(out, q)
		}
	}
	return sortUnique(out)
}

// badSeqSet checks RFC 9051 §6.4.5's rule that a sequence number beyond
// the mailbox is an error (UID sets never are).
func (s *session) badSeqSet(set imap.SeqSet, uid bool) error {
	if uid || set.Saved {
		return nil
	}
	n := uint32(len(s.sel.uids))
	for _, r := range set.Ranges {
		if (r.Start != 0 && r.Start > n) || (r.Stop != 0 && r.Stop > n) {
			if r.Start == 0 || r.Stop == 0 {
				continue // "n:*" with n > count still names "*"
			}
			return respBad("", "Invalid message sequence number (mailbox has "+strconv.Itoa(int(n))+" messages)")
		}
	}
	return nil
}

func sortUnique(v []uint32) []uint32 {
	if len(v) < 2 {
		return v
	}
	if !sort.SliceIsSorted(v, func(i, j int) bool { return v[i] < v[j] }) {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	}
	out := v[:1]
	for _, x := range v[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// flushUpdates sends the changes other sessions (and this one) made since
// the last flush: EXPUNGE (only when allowExpunge, RFC 9051 §7.5.1),
// FLAGS/PERMANENTFLAGS for new keywords, EXISTS (and RECENT for rev1), and
// FETCH FLAGS for flag changes made by others.
//
// Its cost is proportional to the changes, not to the mailbox, unless
// expunges are involved: a session that has reported every expunge
// shares the box's UID list, which already is its view.
func (s *session) flushUpdates(allowExpunge bool) {
	sel := s.sel
	if sel == nil {
		return
	}
	b := sel.box
	b.mu.RLock()
	end := b.logBase + uint64(len(b.log))
	if sel.cursor == end && len(b.keywords) == sel.keywordsSent && !b.deleted &&
		(!allowExpunge || len(sel.pendingExpunge) == 0) {
		b.mu.RUnlock()
		return
	}
	start := sel.cursor - b.logBase
	events := b.log[start:len(b.log):len(b.log)]
	sel.cursor = end
	// The box's UIDs once the events are applied: the session's view
	// after this flush, if no expunge remains unreported.
	boxUIDs := b.uids
	var keywords []string
	if len(b.keywords) != sel.keywordsSent {
		keywords = append(keywords, b.keywords...)
		sel.keywordsSent = len(keywords)
	}
	deleted := b.deleted
	b.mu.RUnlock()

	if deleted {
		s.untagged("BYE [CLOSED] The selected mailbox was deleted")
		s.state = stateLogout
		return
	}
	type flagUpdate struct {
		uid    uint32
		flags  []string
		modseq uint64
	}
	var (
		flagUpdates []flagUpdate
		flagIndex   map[uint32]int
		added       []uint32 // appended UIDs new to the view, ascending
	)
	top := sel.maxUID()
	for _, ev := range events {
		switch ev.Kind {
		case store.ChangeAppend:
			for _, m := range ev.Messages {
				if m.UID > top {
					top = m.UID
					added = append(added, m.UID)
					s.claimRecent(b, m.UID)
				}
			}
		case store.ChangeExpunge:
			sel.pendingExpunge = append(sel.pendingExpunge, ev.UIDs...)
		case store.ChangeFlags:
			if ev.Origin == s.id {
				continue // the command that made it answers for it
			}
			if flagIndex == nil {
				flagIndex = make(map[uint32]int, len(ev.Messages))
			}
			for _, m := range ev.Messages {
				if i, ok := flagIndex[m.UID]; ok {
					flagUpdates[i].flags = m.Flags
					flagUpdates[i].modseq = m.ModSeq
					continue
				}
				flagIndex[m.UID] = len(flagUpdates)
				flagUpdates = append(flagUpdates, flagUpdate{m.UID, m.Flags, m.ModSeq})
			}
		}
	}
	switch {
	case len(sel.pendingExpunge) == 0:
		// Only appends (or nothing) changed the view: it is the box's.
		sel.uids, sel.shared = boxUIDs, true
	case !allowExpunge:
		if len(added) > 0 {
			sel.own()
			sel.uids = append(sel.uids, added...)
		}
	default:
		sel.own()
		sel.uids = append(sel.uids, added...)
		s.reportExpunges()
		// Every expunge is reported: the view is the box's again.
		sel.uids, sel.shared = boxUIDs, true
	}
	if keywords != nil {
		s.writeFlagsResponses(keywords, sel.readOnly)
	}
	if len(added) > 0 {
		s.untagged(strconv.Itoa(len(sel.uids)) + " EXISTS")
		if !s.rev2 {
			s.untagged(strconv.Itoa(len(sel.recent)) + " RECENT")
		}
	}
	for _, fu := range flagUpdates {
		seq := sel.seqOf(fu.uid)
		if seq == 0 {
			continue
		}
		s.fetchStart(seq, fu.uid)
		if s.needsUID() {
			s.enc.Raw("UID ").Number(fu.uid).SP()
		}
		s.enc.Raw("FLAGS ")
		s.enc.Flags(s.flagsWithRecent(fu.uid, fu.flags))
		if s.condstore {
			s.enc.Raw(" MODSEQ (").Number64(fu.modseq).Raw(")")
		}
		s.enc.Raw(")").CRLF()
	}
}

// claimRecent makes uid \Recent in this session if no other session has
// seen it yet (RFC 3501 §2.3.2: recent in one session only).
func (s *session) claimRecent(b *sharedBox, uid uint32) {
	for {
		r := b.recentUID.Load()
		if uid <= r {
			return
		}
		if b.recentUID.CompareAndSwap(r, uid) {
			if s.sel.recent == nil {
				s.sel.recent = make(map[uint32]bool)
			}
			s.sel.recent[uid] = true
			return
		}
	}
}

// reportExpunges sends the pending expunges, which must all be in the
// (private) view, and removes them from it: one VANISHED for QRESYNC and
// UIDONLY clients (RFC 7162 §3.2.10.2, RFC 9586 §3.5), else one EXPUNGE
// each, numbered as the view is after the previous ones (RFC 9051
// §7.4.1).
func (s *session) reportExpunges() {
	sel := s.sel
	gone := make(map[uint32]bool, len(sel.pendingExpunge))
	for _, u := range sel.pendingExpunge {
		gone[u] = true
	}
	sel.pendingExpunge = nil
	vanishedOnly := s.qresync || s.uidonly
	var vanished []uint32
	kept := sel.uids[:0]
	for _, u := range sel.uids {
		if !gone[u] {
			kept = append(kept, u)
			continue
		}
		delete(sel.recent, u)
		if vanishedOnly {
			vanished = append(vanished, u)
		} else {
			s.enc.Raw("* ").Number(uint32(len(kept) + 1)).Raw(" EXPUNGE").CRLF()
		}
	}
	sel.uids = kept
	if len(vanished) > 0 {
		s.untagged("VANISHED " + imap.SeqSetFromNums(vanished).String())
	}
}

// flagsWithRecent adds \Recent for rev1 sessions that own it.
func (s *session) flagsWithRecent(uid uint32, flags []string) []string {
	if s.rev2 || !s.sel.recent[uid] {
		return flags
	}
	out := make([]string, 0, len(flags)+1)
	out = append(out, flags...)
	return append(out, imap.FlagRecent)
}

var systemFlags = []string{imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagSeen, imap.FlagDraft}

// writeFlagsResponses sends FLAGS and PERMANENTFLAGS (RFC 9051 §7.3.5,
// §7.1): the system flags, the mailbox's keywords, and \* (any new
// keyword may be created).
func (s *session) writeFlagsResponses(keywords []string, readOnly bool) {
	all := append(append([]string{}, systemFlags...), keywords...)
	s.enc.Raw("* FLAGS ").Flags(all).CRLF()
	if readOnly {
		s.untagged("OK [PERMANENTFLAGS ()] Read-only mailbox")
		return
	}
	s.enc.Raw("* OK [PERMANENTFLAGS ").Flags(append(all, `\*`)).Raw("] Flags permitted").CRLF()
}

// unselect leaves the selected state without expunging.
func (s *session) unselect() {
	sel := s.sel
	if sel == nil {
		return
	}
	s.sel = nil
	s.saved = nil
	sel.box.mu.Lock()
	delete(sel.box.sessions, s)
	sel.box.mu.Unlock()
	sel.uids = nil
	s.srv.hub.release(sel.box)
	if s.state == stateSelected {
		s.state = stateAuth
	}
}

// hasFlag reports whether flags contains f, case-insensitively.
func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}
