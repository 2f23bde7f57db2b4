package imap

import "strconv"

// Object identifiers of OBJECTID (RFC 8474). The store numbers mailboxes,
// message contents and threads; these functions give the numbers their
// wire form, with a distinct prefix for each kind so that no EMAILID ever
// equals a THREADID (§5.2). objectid = 1*255(ALPHA / DIGIT / "_" / "-").

// MailboxID is the MAILBOXID of mailbox id with the given UIDVALIDITY: a
// new incarnation of a name (a new UIDVALIDITY) gets a new MAILBOXID, a
// rename keeps it (§4).
func MailboxID(id int64, uidValidity uint32) string {
	return "M" + strconv.FormatInt(id, 10) + "-" + strconv.FormatUint(uint64(uidValidity), 10)
}

// EmailID is the EMAILID of message content id.
func EmailID(id int64) string { return "E" + strconv.FormatInt(id, 10) }

// ThreadID is the THREADID of thread id.
func ThreadID(id int64) string { return "T" + strconv.FormatInt(id, 10) }

// ParseEmailID and ParseThreadID invert EmailID and ThreadID; ok is false
// for anything they did not produce.
func ParseEmailID(s string) (int64, bool) { return parseObjectID(s, 'E') }

// ParseThreadID inverts ThreadID.
func ParseThreadID(s string) (int64, bool) { return parseObjectID(s, 'T') }

func parseObjectID(s string, prefix byte) (int64, bool) {
	if len(s) < 2 || s[0] != prefix || s[1] == '0' || s[1] == '+' || s[1] == '-' {
		return 0, false
	}
	n, err := strconv.ParseInt(s[1:], 10, 64)
	return n, err == nil && n > 0
}
