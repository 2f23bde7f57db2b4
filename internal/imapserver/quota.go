package imapserver

import (
	"strconv"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// Quotas (RFC 9208). Each account has one quota root, named "" (the
// user's whole mail), with the STORAGE (units of 1024 octets, §5.1) and
// MESSAGE (§5.2) resources. Limits are set by the administrator
// (`petrel user quota`), so SETQUOTA is refused and QUOTASET is not
// advertised (§4.1.3).

// quotaRoot is the name of every account's single quota root.
const quotaRoot = ""

// cmdGetQuotaRoot implements GETQUOTAROOT (RFC 9208 §4.1.2). The mailbox
// need not exist.
func (s *session) cmdGetQuotaRoot(cmd *imap.Command) error {
	name := normalizeName(cmd.Args.(*imap.MailboxArgs).Mailbox)
	q, u, err := s.acct.Quota(s.ctx)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	s.enc.Raw("* QUOTAROOT ").Mailbox(name)
	if q.Storage == 0 && q.Messages == 0 {
		// No limits: no quota root applies.
		s.enc.CRLF()
		return nil
	}
	s.enc.SP().String(quotaRoot).CRLF()
	s.writeQuota(q, u)
	return nil
}

// cmdGetQuota implements GETQUOTA (RFC 9208 §4.1.1).
func (s *session) cmdGetQuota(cmd *imap.Command) error {
	root := cmd.Args.(*imap.QuotaArgs).Root
	q, u, err := s.acct.Quota(s.ctx)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	if root != quotaRoot || (q.Storage == 0 && q.Messages == 0) {
		return respNo("NONEXISTENT", "No such quota root")
	}
	s.writeQuota(q, u)
	return nil
}

// cmdSetQuota refuses SETQUOTA: limits are the administrator's.
func (s *session) cmdSetQuota(cmd *imap.Command) error {
	return respNo("NOPERM", "Quotas are set by the administrator")
}

// writeQuota writes the QUOTA response of the root, listing the limited
// resources only (quota_list needs at least one).
func (s *session) writeQuota(q store.Quota, u store.Usage) {
	s.enc.Raw("* QUOTA ").String(quotaRoot).Raw(" (")
	sep := ""
	if q.Storage > 0 {
		s.enc.Raw("STORAGE " + strconv.FormatInt(u.Storage/1024, 10) + " " + strconv.FormatInt(q.Storage/1024, 10))
		sep = " "
	}
	if q.Messages > 0 {
		s.enc.Raw(sep + "MESSAGE " + strconv.FormatInt(u.Messages, 10) + " " + strconv.FormatInt(q.Messages, 10))
	}
	s.enc.Raw(")").CRLF()
}
