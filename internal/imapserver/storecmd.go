package imapserver

import (
	"strings"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// checkStoreFlags refuses system flags a client cannot set (RFC 9051
// §2.3.2: only the defined system flags start with a backslash).
func checkStoreFlags(flags []string) error {
	for _, f := range flags {
		if !strings.HasPrefix(f, `\`) {
			continue
		}
		switch f {
		case imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft, imap.FlagRecent:
		default:
			return respBad("", "Invalid system flag "+f)
		}
	}
	return nil
}

// canonicalFlags drops \Recent, which clients cannot set (RFC 3501
// §2.3.2), and duplicates.
func canonicalFlags(flags []string) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if f == imap.FlagRecent || hasFlag(out, f) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// cmdStore implements STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9) with
// CONDSTORE's UNCHANGEDSINCE modifier (RFC 7162 §3.1.3).
func (s *session) cmdStore(cmd *imap.Command) error {
	args := cmd.Args.(*imap.StoreArgs)
	unchangedSince := store.Unconditional
	conditional := false
	for name, v := range args.Modifiers {
		if name != "UNCHANGEDSINCE" {
			return respBad("", "Unsupported STORE modifier "+name)
		}
		unchangedSince, conditional = v, true
	}
	if err := s.badSeqSet(args.Set, cmd.UID); err != nil {
		return err
	}
	if err := checkStoreFlags(args.Flags); err != nil {
		return err
	}
	if s.sel.readOnly {
		return respNo("READ-ONLY", "Mailbox is read-only")
	}
	if conditional {
		s.enableCondstore()
	}
	seqs := s.resolve(args.Set, cmd.UID)
	if len(seqs) == 0 {
		return nil
	}
	uids := make([]uint32, len(seqs))
	for i, q := range seqs {
		uids[i] = s.sel.uids[q-1]
	}
	mode := store.FlagsReplace
	switch args.Mode {
	case imap.StoreAdd:
		mode = store.FlagsAdd
	case imap.StoreRemove:
		mode = store.FlagsRemove
	}
	_, modified, err := s.sel.mbox.StoreFlagsIf(s.ctx, uids, mode, canonicalFlags(args.Flags), unchangedSince)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	// New keywords first, so the FETCH responses use announced flags.
	s.flushUpdates(cmd.UID)
	failed := make(map[uint32]bool, len(modified))
	for _, u := range modified {
		failed[u] = true
	}
	// RFC 9051 §6.4.6: an untagged FETCH with the new flags of each
	// message, unless .SILENT. RFC 7162 §3.1.3: with UNCHANGEDSINCE, each
	// stored message's new MODSEQ is sent even with .SILENT, and the
	// current state of those that failed the test is sent too (its
	// Example 6), so the client need not ask.
	for _, m := range s.sel.box.metas(uids) {
		seq := s.sel.seqOf(m.UID)
		if seq == 0 || (args.Silent && !conditional) {
			continue
		}
		withFlags := !args.Silent || failed[m.UID]
		s.fetchStart(seq, m.UID)
		sep := ""
		// RFC 7162 §3.2.4 (erratum 1807): with QRESYNC every untagged
		// FETCH carries UID.
		if (cmd.UID || s.qresync) && s.needsUID() {
			s.enc.Raw("UID ").Number(m.UID)
			sep = " "
		}
		if withFlags {
			s.enc.Raw(sep).Raw("FLAGS ").Flags(s.flagsWithRecent(m.UID, m.Flags))
			sep = " "
		}
		if s.condstore {
			s.enc.Raw(sep).Raw("MODSEQ (").Number64(m.ModSeq).Raw(")")
		}
		s.enc.Raw(")").CRLF()
	}
	if len(modified) == 0 {
		return nil
	}
	set := modified
	if !cmd.UID {
		set = make([]uint32, 0, len(modified))
		for _, u := range modified {
			if q := s.sel.seqOf(u); q > 0 {
				set = append(set, q)
			}
		}
	}
	return respOK("MODIFIED "+imap.SeqSetFromNums(set).String(), "Conditional STORE failed")
}
