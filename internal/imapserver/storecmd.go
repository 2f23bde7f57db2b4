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

// cmdStore implements STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9).
func (s *session) cmdStore(cmd *imap.Command) error {
	args := cmd.Args.(*imap.StoreArgs)
	if len(args.Modifiers) > 0 {
		return respBad("", "STORE modifiers are not supported")
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
	if _, err := s.sel.mbox.StoreFlags(s.ctx, uids, mode, canonicalFlags(args.Flags)); err != nil {
		return storeError(err, "NONEXISTENT")
	}
	// New keywords first, so the FETCH responses use announced flags.
	s.flushUpdates(cmd.UID)
	if args.Silent {
		return nil
	}
	// RFC 9051 §6.4.6: an untagged FETCH with the new flags of each message.
	for _, m := range s.sel.box.metas(uids) {
		seq := s.sel.seqOf(m.UID)
		if seq == 0 {
			continue
		}
		s.enc.Raw("* ").Number(seq).Raw(" FETCH (")
		if cmd.UID {
			s.enc.Raw("UID ").Number(m.UID).SP()
		}
		s.enc.Raw("FLAGS ").Flags(s.flagsWithRecent(m.UID, m.Flags)).Raw(")").CRLF()
	}
	return nil
}
