package imapserver

import (
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

	uids           []uint32 // sequence number n is uids[n-1]; ascending
	cursor         uint64   // next box.log index to process (guarded by box.mu)
	pendingExpunge []uint32 // expunges not yet reported (RFC 9051 §7.5.1)
	recent         map[uint32]bool
	keywordsSent   int // how many box keywords the client was told of
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
func (s *session) flushUpdates(allowExpunge bool) {
	sel := s.sel
	if sel == nil {
		return
	}
	b := sel.box
	b.mu.Lock()
	start := sel.cursor - b.logBase
	events := b.log[start:len(b.log):len(b.log)]
	sel.cursor = b.logBase + uint64(len(b.log))
	for _, ev := range events {
		if ev.Kind != store.ChangeAppend {
			continue
		}
		for _, m := range ev.Messages {
			if m.UID > b.recentUID {
				b.recentUID = m.UID
				sel.recent[m.UID] = true
			}
		}
	}
	var keywords []string
	if len(b.keywords) != sel.keywordsSent {
		keywords = append(keywords, b.keywords...)
		sel.keywordsSent = len(keywords)
	}
	deleted := b.deleted
	b.mu.Unlock()

	if deleted {
		s.untagged("BYE [CLOSED] The selected mailbox was deleted")
		s.state = stateLogout
		return
	}
	existsChanged := false
	type flagUpdate struct {
		uid    uint32
		flags  []string
		modseq uint64
	}
	var flagUpdates []flagUpdate
	flagIndex := map[uint32]int{}
	for _, ev := range events {
		switch ev.Kind {
		case store.ChangeAppend:
			for _, m := range ev.Messages {
				if m.UID > sel.maxUID() {
					sel.uids = append(sel.uids, m.UID)
					existsChanged = true
				}
			}
		case store.ChangeExpunge:
			sel.pendingExpunge = append(sel.pendingExpunge, ev.UIDs...)
		case store.ChangeFlags:
			if ev.Origin == s.id {
				continue // the command that made it answers for it
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
	if allowExpunge && len(sel.pendingExpunge) > 0 && (s.qresync || s.uidonly) {
		// RFC 7162 §3.2.10.2, RFC 9586 §3.5: one VANISHED instead of
		// EXPUNGEs.
		gone := make(map[uint32]bool, len(sel.pendingExpunge))
		for _, u := range sel.pendingExpunge {
			gone[u] = true
		}
		var vanished []uint32
		kept := sel.uids[:0]
		for _, u := range sel.uids {
			if gone[u] {
				vanished = append(vanished, u)
				delete(sel.recent, u)
				continue
			}
			kept = append(kept, u)
		}
		sel.uids = kept
		sel.pendingExpunge = nil
		if len(vanished) > 0 {
			s.untagged("VANISHED " + imap.SeqSetFromNums(vanished).String())
		}
	}
	if allowExpunge && len(sel.pendingExpunge) > 0 {
		// One pass over the view: each EXPUNGE names the sequence number
		// as it is after the previous ones (RFC 9051 §7.4.1).
		gone := make(map[uint32]bool, len(sel.pendingExpunge))
		for _, u := range sel.pendingExpunge {
			gone[u] = true
		}
		kept := sel.uids[:0]
		for _, u := range sel.uids {
			if !gone[u] {
				kept = append(kept, u)
				continue
			}
			delete(sel.recent, u)
			s.enc.Raw("* ").Number(uint32(len(kept) + 1)).Raw(" EXPUNGE").CRLF()
		}
		sel.uids = kept
		sel.pendingExpunge = nil
	}
	if keywords != nil {
		s.writeFlagsResponses(keywords, sel.readOnly)
	}
	if existsChanged {
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
