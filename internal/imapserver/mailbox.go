package imapserver

import (
	"strconv"
	"strings"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/store"
)

// checkName validates a mailbox name for CREATE and RENAME targets
// (RFC 9051 §5.1): no wildcards, no empty hierarchy levels.
func checkName(name string) error {
	switch {
	case name == "":
		return respNo("CANNOT", "Empty mailbox name")
	case strings.ContainsAny(name, "%*"):
		return respNo("CANNOT", "Mailbox names cannot contain % or *")
	case strings.HasPrefix(name, "/") || strings.Contains(name, "//"):
		return respNo("CANNOT", "Empty hierarchy level in mailbox name")
	case strings.ContainsAny(name, "\r\n\x00"):
		return respNo("CANNOT", "Control characters in mailbox name")
	}
	return nil
}

// normalizeName spells INBOX and its children's prefix canonically.
func normalizeName(name string) string {
	if len(name) >= 6 && strings.EqualFold(name[:6], "INBOX/") {
		return "INBOX/" + name[6:]
	}
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

// cmdCreate implements CREATE (RFC 9051 §6.3.4; USE of RFC 6154 §3).
func (s *session) cmdCreate(cmd *imap.Command) error {
	args := cmd.Args.(*imap.MailboxArgs)
	// A trailing delimiter declares intent to create children; the name
	// created is without it.
	name := normalizeName(strings.TrimSuffix(args.Mailbox, "/"))
	if err := checkName(name); err != nil {
		return err
	}
	if name == "INBOX" {
		return respNo("ALREADYEXISTS", "INBOX always exists")
	}
	for _, u := range args.SpecialUse {
		switch u {
		case `\All`, `\Archive`, `\Drafts`, `\Flagged`, `\Junk`, `\Sent`, `\Trash`:
		default:
			return respNo("USEATTR", "Unsupported special-use attribute "+u)
		}
	}
	if err := s.acct.CreateMailbox(s.ctx, name, args.SpecialUse); err != nil {
		return storeError(err, "NONEXISTENT")
	}
	// RFC 8474 §4.1: the new mailbox's MAILBOXID.
	info, _, err := s.mailboxInfo(name)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	return respOK("MAILBOXID ("+imap.MailboxID(info.ID, info.UIDValidity)+")", "CREATE completed")
}

// cmdDelete implements DELETE (RFC 9051 §6.3.5).
func (s *session) cmdDelete(cmd *imap.Command) error {
	name := normalizeName(cmd.Args.(*imap.MailboxArgs).Mailbox)
	if name == "INBOX" {
		return respNo("CANNOT", "INBOX cannot be deleted")
	}
	if s.sel != nil && s.sel.name == name {
		s.unselect()
	}
	return storeError(s.acct.DeleteMailbox(s.ctx, name), "NONEXISTENT")
}

// cmdRename implements RENAME (RFC 9051 §6.3.6).
func (s *session) cmdRename(cmd *imap.Command) error {
	args := cmd.Args.(*imap.RenameArgs)
	from, to := normalizeName(args.From), normalizeName(strings.TrimSuffix(args.To, "/"))
	if err := checkName(to); err != nil {
		return err
	}
	if to == "INBOX" {
		return respNo("ALREADYEXISTS", "INBOX always exists")
	}
	if err := s.acct.RenameMailbox(s.ctx, from, to); err != nil {
		return storeError(err, "NONEXISTENT")
	}
	if s.sel != nil && s.sel.name == from && from != "INBOX" {
		s.sel.name = to
	}
	return nil
}

// cmdSubscribe implements SUBSCRIBE and UNSUBSCRIBE (RFC 9051 §6.3.7,
// §6.3.8). Subscribing to a name that does not exist is allowed.
func (s *session) cmdSubscribe(cmd *imap.Command) error {
	name := normalizeName(cmd.Args.(*imap.MailboxArgs).Mailbox)
	if name == "" {
		return respNo("CANNOT", "Empty mailbox name")
	}
	return storeError(s.acct.SetSubscribed(s.ctx, name, cmd.Name == "SUBSCRIBE"), "NONEXISTENT")
}

// cmdStatus implements STATUS (RFC 9051 §6.3.11, RFC 8438 SIZE).
func (s *session) cmdStatus(cmd *imap.Command) error {
	args := cmd.Args.(*imap.StatusArgs)
	name := normalizeName(args.Mailbox)
	if err := checkStatusItems(args.Items); err != nil {
		return err
	}
	for _, it := range args.Items {
		if it == "HIGHESTMODSEQ" {
			s.enableCondstore() // RFC 7162 §3.1.7
		}
	}
	st, err := s.acct.Status(s.ctx, name)
	if err != nil {
		return storeError(err, "NONEXISTENT")
	}
	s.writeStatusResponse(name, args.Items, st)
	return nil
}

// checkStatusItems refuses items Petrel does not serve yet.
func checkStatusItems(items []imap.StatusItem) error {
	for _, it := range items {
		switch it {
		case "MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ", "MAILBOXID", "DELETED-STORAGE":
		default:
			return respBad("", "Unsupported STATUS item "+string(it))
		}
	}
	return nil
}

func (s *session) writeStatusResponse(name string, items []imap.StatusItem, st store.MailboxStatus) {
	s.enc.Raw("* STATUS ").Mailbox(name).Raw(" (")
	for i, it := range items {
		if i > 0 {
			s.enc.SP()
		}
		s.enc.Raw(string(it)).SP()
		switch it {
		case "MESSAGES":
			s.enc.Number(st.Messages)
		case "UIDNEXT":
			s.enc.Number(st.UIDNext)
		case "UIDVALIDITY":
			s.enc.Number(st.UIDValidity)
		case "UNSEEN":
			s.enc.Number(st.Unseen)
		case "DELETED":
			s.enc.Number(st.Deleted)
		case "SIZE":
			s.enc.Raw(strconv.FormatInt(st.Size, 10))
		case "HIGHESTMODSEQ":
			s.enc.Number64(max(st.HighestModSeq, 1))
		case "DELETED-STORAGE":
			s.enc.Raw(strconv.FormatInt(st.DeletedSize, 10)) // RFC 9208 §4.2.1
		case "MAILBOXID":
			s.enc.Raw("(" + imap.MailboxID(st.ID, st.UIDValidity) + ")") // RFC 8474 §4.3
		case "RECENT":
			// \Recent belongs to the session that first sees a message;
			// STATUS from another session sees none (RFC 3501 §6.3.10).
			s.enc.Number(0)
		default:
			s.enc.Raw("NIL")
		}
	}
	s.enc.Raw(")").CRLF()
}
