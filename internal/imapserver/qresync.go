package imapserver

import (
	"petrel.dev/petrel/internal/imap"
)

// resync answers "UID FETCH uids atts (CHANGEDSINCE since VANISHED)"
// (RFC 7162 §3.2.6), which is also the work of SELECT's QRESYNC
// parameter (§3.2.5.1): first one VANISHED (EARLIER) with the UIDs in the
// set expunged after since, then a FETCH for each message in the set
// changed after since.
func (s *session) resync(uids imap.SeqSet, since uint64, atts []imap.FetchAtt) error {
	sel := s.sel
	gone, err := sel.mbox.Vanished(s.ctx, since)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	// "*" here stands for the highest UID ever assigned, so that UIDs
	// expunged from the end of the mailbox are reported too.
	top := max(sel.maxUID(), sel.box.uidNextNow()-1)
	var vanished []uint32
	for _, u := range gone {
		if uids.Contains(u, top) && sel.seqOf(u) == 0 {
			vanished = append(vanished, u)
		}
	}
	if len(vanished) > 0 {
		s.untagged("VANISHED (EARLIER) " + imap.SeqSetFromNums(vanished).String())
	}
	return s.fetch(&imap.FetchArgs{Set: uids, Atts: atts, Modifiers: map[string]uint64{"CHANGEDSINCE": since}}, true)
}
