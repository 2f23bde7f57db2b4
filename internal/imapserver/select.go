package imapserver

import (
	"errors"
	"strconv"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// cmdSelect implements SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3).
func (s *session) cmdSelect(cmd *imap.Command) error {
	args := cmd.Args.(*imap.SelectArgs)
	for _, p := range args.Params {
		switch p {
		case "CONDSTORE":
			// RFC 7162 §3.1.8: an enabling command; HIGHESTMODSEQ comes
			// with this SELECT's responses.
			s.condstore = true
		case "QRESYNC":
			if !s.qresync {
				return respBad("", "QRESYNC parameter without ENABLE QRESYNC")
			}
		default:
			return respBad("", "Unsupported SELECT parameter "+p)
		}
	}
	if s.sel != nil {
		s.unselect()
		if s.rev2 || s.qresync {
			// RFC 9051 §6.3.2, RFC 7162 §3.2.11.
			s.untagged("OK [CLOSED] Previous mailbox is now closed")
		}
	}
	mbox, err := s.acct.Mailbox(s.ctx, args.Mailbox)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	b, err := s.srv.hub.open(s.ctx, s.acct.Name(), mbox, func() (uint32, uint64, error) {
		st, err := s.acct.Status(s.ctx, args.Mailbox)
		return st.UIDValidity, st.HighestModSeq, err
	})
	if err != nil {
		if errors.Is(err, store.ErrNoSelect) {
			return respNo("CANNOT", "Mailbox cannot be selected")
		}
		return storeError(err, "NONEXISTENT")
	}
	sel := &selected{
		box:      b,
		mbox:     mbox,
		name:     args.Mailbox,
		readOnly: cmd.Name == "EXAMINE",
	}
	b.mu.Lock()
	// The view starts as the box's UID list, shared (mailboxstate.go).
	sel.uids, sel.shared = b.uids, true
	firstUnseen := uint32(0)
	if !s.rev2 && !s.uidonly {
		for i, m := range b.msgs {
			if !hasFlag(m.Flags, imap.FlagSeen) {
				firstUnseen = uint32(i + 1)
				break
			}
		}
	}
	sel.cursor = b.logBase + uint64(len(b.log))
	keywords := append([]string(nil), b.keywords...)
	sel.keywordsSent = len(keywords)
	uidValidity, uidNext, highestModSeq := b.uidValidity, b.uidNext, max(b.highestModSeq, 1)
	b.sessions[s] = sel
	b.mu.Unlock()

	s.sel = sel
	s.state = stateSelected
	s.saved = nil

	s.writeFlagsResponses(keywords, sel.readOnly)
	s.untagged(strconv.Itoa(len(sel.uids)) + " EXISTS")
	if !s.rev2 {
		s.untagged("0 RECENT")
		if firstUnseen > 0 && !s.uidonly {
			s.untagged("OK [UNSEEN " + strconv.Itoa(int(firstUnseen)) + "] First unseen message")
		}
	}
	s.untagged("OK [UIDVALIDITY " + strconv.FormatUint(uint64(uidValidity), 10) + "] UIDs valid")
	s.untagged("OK [UIDNEXT " + strconv.FormatUint(uint64(uidNext), 10) + "] Predicted next UID")
	if s.condstore {
		s.untagged("OK [HIGHESTMODSEQ " + strconv.FormatUint(highestModSeq, 10) + "] Highest")
	}
	// RFC 8474 §4.2.
	s.untagged("OK [MAILBOXID (" + imap.MailboxID(b.key.id, uidValidity) + ")] Ok")
	if s.rev2 {
		// RFC 9051 §6.3.2: a LIST response with the mailbox name.
		if info, children, err := s.mailboxInfo(args.Mailbox); err == nil {
			s.writeList("LIST", info, children, listOptions{children: true, specialUse: true})
		}
	}
	if q := args.QResync; q != nil && q.UIDValidity == uidValidity {
		// RFC 7162 §3.2.5.1: as "UID FETCH known-uids (FLAGS)
		// (CHANGEDSINCE modseq VANISHED)". The expunge record is complete,
		// so the seq-match data is not needed.
		known := imap.SeqSet{Ranges: []imap.SeqRange{{Start: 1, Stop: max(uidNext-1, 1)}}}
		if q.KnownUIDs != nil {
			known = *q.KnownUIDs
		}
		if uidNext > 1 || q.KnownUIDs != nil {
			if err := s.resync(known, q.ModSeq, []imap.FetchAtt{{Kind: imap.FetchUID}, {Kind: imap.FetchFlags}, {Kind: imap.FetchModSeq}}); err != nil {
				return err
			}
		}
	}
	if sel.readOnly {
		return respOK("READ-ONLY", cmd.Name+" completed")
	}
	return respOK("READ-WRITE", cmd.Name+" completed")
}

// cmdClose implements CLOSE (RFC 9051 §6.4.1), which silently expunges
// in a read-write mailbox, and UNSELECT (§6.4.2, RFC 3691), which does not.
func (s *session) cmdClose(cmd *imap.Command) error {
	sel := s.sel
	var err error
	if cmd.Name == "CLOSE" && !sel.readOnly {
		_, err = sel.mbox.Expunge(s.ctx, s.deletedUIDs(nil))
	}
	s.unselect()
	return storeError(err, "NONEXISTENT")
}

// deletedUIDs returns the UIDs among seqs (all messages when nil) that
// have \Deleted now.
func (s *session) deletedUIDs(seqs []uint32) []uint32 {
	sel := s.sel
	var uids []uint32
	if seqs == nil {
		uids = sel.uids
	} else {
		uids = make([]uint32, len(seqs))
		for i, q := range seqs {
			uids[i] = sel.uids[q-1]
		}
	}
	var out []uint32
	for _, m := range sel.box.metas(uids) {
		if hasFlag(m.Flags, imap.FlagDeleted) {
			out = append(out, m.UID)
		}
	}
	return out
}

// cmdExpunge implements EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE
// (§6.4.9, RFC 4315 §2.1). The EXPUNGE responses come from the shared
// change log, sent by execute after the handler.
func (s *session) cmdExpunge(cmd *imap.Command) error {
	if s.sel.readOnly {
		return respNo("READ-ONLY", "Mailbox is read-only")
	}
	var seqs []uint32
	if cmd.UID {
		args := cmd.Args.(*imap.ExpungeArgs)
		seqs = s.resolve(args.Set, true)
		if len(seqs) == 0 {
			return nil
		}
	}
	gone, err := s.sel.mbox.Expunge(s.ctx, s.deletedUIDs(seqs))
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	if len(gone) > 0 && s.qresync {
		// RFC 7162 §3.2.7, §3.2.9: the new HIGHESTMODSEQ in the tagged OK.
		return respOK("HIGHESTMODSEQ "+strconv.FormatUint(s.sel.box.highestModSeqNow(), 10), commandName(cmd)+" completed")
	}
	return nil
}
