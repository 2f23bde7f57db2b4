package imapserver

import (
	"strconv"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// cmdCopy implements COPY and UID COPY (RFC 9051 §6.4.7) with COPYUID
// (RFC 4315 §3).
func (s *session) cmdCopy(cmd *imap.Command) error {
	uids, err := s.copyArgs(cmd)
	if err != nil || uids == nil {
		return err
	}
	dest := normalizeName(cmd.Args.(*imap.CopyArgs).Mailbox)
	res, err := s.sel.mbox.Copy(s.ctx, uids, dest)
	if err != nil {
		return storeError(err, "TRYCREATE")
	}
	return respOK(copyUID(res), "COPY completed")
}

// cmdMove implements MOVE and UID MOVE (RFC 9051 §6.4.8, RFC 6851): the
// COPYUID comes in an untagged OK before the EXPUNGE responses.
func (s *session) cmdMove(cmd *imap.Command) error {
	if s.sel.readOnly {
		return respNo("READ-ONLY", "Mailbox is read-only")
	}
	uids, err := s.copyArgs(cmd)
	if err != nil || uids == nil {
		return err
	}
	dest := normalizeName(cmd.Args.(*imap.CopyArgs).Mailbox)
	res, err := s.sel.mbox.Move(s.ctx, uids, dest)
	if err != nil {
		return storeError(err, "TRYCREATE")
	}
	if code := copyUID(res); code != "" {
		s.untagged("OK [" + code + "] Moved")
	}
	return nil
}

// copyArgs resolves the message set of COPY/MOVE; nil uids with a nil
// error means nothing matched, which is not an error (RFC 9051 §6.4.9).
func (s *session) copyArgs(cmd *imap.Command) ([]uint32, error) {
	args := cmd.Args.(*imap.CopyArgs)
	if err := s.badSeqSet(args.Set, cmd.UID); err != nil {
		return nil, err
	}
	seqs := s.resolve(args.Set, cmd.UID)
	if len(seqs) == 0 {
		// The destination must still exist.
		if _, err := s.acct.Status(s.ctx, normalizeName(args.Mailbox)); err != nil {
			return nil, storeError(err, "TRYCREATE")
		}
		return nil, nil
	}
	uids := make([]uint32, len(seqs))
	for i, q := range seqs {
		uids[i] = s.sel.uids[q-1]
	}
	return uids, nil
}

func copyUID(res store.CopyResult) string {
	if len(res.SrcUIDs) == 0 {
		return ""
	}
	return "COPYUID " + strconv.FormatUint(uint64(res.DestUIDValidity), 10) + " " +
		imap.SeqSetFromNums(res.SrcUIDs).String() + " " + imap.SeqSetFromNums(res.DestUIDs).String()
}
