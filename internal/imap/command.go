package imap

import "time"

// Command is one parsed client command. Name is the upper-case command name
// without the "UID " prefix; UID is true for UID COPY/MOVE/FETCH/SEARCH/
// STORE/EXPUNGE. Args points to the command's argument struct below (nil
// for commands without arguments).
//
// APPEND is special: the parser returns it after the mailbox name with
// Args of type *AppendArgs, and the session then reads each message with
// wire.Decoder.ReadAppendMessage so the literal streams to storage.
type Command struct {
	Tag  string
	Name string
	UID  bool
	Args any
}

// MailboxName is a mailbox name as decoded from the wire: modified UTF-7
// (RFC 3501 §5.1.3) already decoded to UTF-8 unless UTF8=ACCEPT is enabled,
// in which case it is UTF-8 as sent. "INBOX" in any case is normalised to
// "INBOX".
type MailboxName = string

// LoginArgs for LOGIN (RFC 9051 §6.2.3).
type LoginArgs struct{ User, Password string }

// AuthenticateArgs for AUTHENTICATE (RFC 9051 §6.2.2). InitialResponse is
// the SASL-IR (RFC 4959) initial response, decoded from base64; HasIR
// tells "=" (empty response) apart from no initial response.
type AuthenticateArgs struct {
	Mechanism       string // upper case
	InitialResponse []byte
	HasIR           bool
}

// EnableArgs for ENABLE (RFC 9051 §6.3.1); capability names upper case.
type EnableArgs struct{ Caps []string }

// SelectArgs for SELECT and EXAMINE. Params holds select parameters
// (RFC 4466) by upper-case name, e.g. "CONDSTORE"; unknown ones are
// rejected by the session.
type SelectArgs struct {
	Mailbox MailboxName
	Params  []string
	QResync *QResyncParams // the QRESYNC parameter's value, when given
}

// QResyncParams is the value of SELECT/EXAMINE's QRESYNC parameter
// (RFC 7162 §3.2.5): "(" uidvalidity SP mod-sequence [SP known-uids]
// [SP "(" known-sequence-set SP known-uid-set ")"] ")".
type QResyncParams struct {
	UIDValidity uint32
	ModSeq      uint64
	KnownUIDs   *SeqSet // nil when absent
	// SeqMatch: the client's sequence numbers and the UIDs it believes
	// they have, for servers that prune expunged UIDs.
	SeqMatch                bool
	KnownSeqs, KnownSeqUIDs SeqSet
}

// MailboxArgs for CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE.
// CREATE's optional "(USE (\Drafts ...))" (RFC 6154 §3) is in SpecialUse.
type MailboxArgs struct {
	Mailbox    MailboxName
	SpecialUse []string
}

// RenameArgs for RENAME.
type RenameArgs struct{ From, To MailboxName }

// ListArgs for LIST (RFC 9051 §6.3.9, RFC 5258, RFC 5819) and LSUB.
// Patterns are decoded like mailbox names but keep '%' and '*'.
type ListArgs struct {
	Reference MailboxName
	Patterns  []string
	Extended  bool // selection options or return options or multiple patterns were used
	Select    ListSelect
	Return    ListReturn
}

// ListSelect is the LIST selection options (RFC 5258 §3.1).
type ListSelect struct {
	Subscribed, Remote, RecursiveMatch, SpecialUse bool
}

// ListReturn is the LIST return options (RFC 5258 §3.2, RFC 5819, RFC 6154).
type ListReturn struct {
	Subscribed, Children, SpecialUse bool
	Status                           []StatusItem // nil when not requested
}

// StatusArgs for STATUS (RFC 9051 §6.3.11).
type StatusArgs struct {
	Mailbox MailboxName
	Items   []StatusItem
}

// AppendArgs for APPEND: the mailbox only; messages follow, see Command.
type AppendArgs struct{ Mailbox MailboxName }

// AppendMessage is one message of an APPEND (RFC 9051 §6.3.12, RFC 3502).
type AppendMessage struct {
	Flags  []string
	Date   time.Time // zero when not given
	Size   int64     // literal length
	Binary bool      // literal8 "~{n}" (RFC 3516)
}

// SearchArgs for SEARCH and UID SEARCH.
type SearchArgs struct {
	Charset string // upper case; "" when not given
	Return  SearchReturn
	Key     SearchKey // top level: an AND of the given keys
}

// FetchArgs for FETCH and UID FETCH. Modifiers (e.g. CHANGEDSINCE) by
// upper-case name with their numeric value.
type FetchArgs struct {
	Set       SeqSet
	Atts      []FetchAtt
	Modifiers map[string]uint64
}

// StoreArgs for STORE and UID STORE (RFC 9051 §6.4.6).
type StoreArgs struct {
	Set       SeqSet
	Mode      StoreMode
	Silent    bool
	Flags     []string
	Modifiers map[string]uint64 // e.g. UNCHANGEDSINCE
}

// CopyArgs for COPY, MOVE and their UID forms.
type CopyArgs struct {
	Set     SeqSet
	Mailbox MailboxName
}

// ExpungeArgs for UID EXPUNGE (RFC 4315); plain EXPUNGE has nil Args.
type ExpungeArgs struct{ Set SeqSet }

// QuotaArgs for GETQUOTA and SETQUOTA (RFC 9208 §4.1): the quota root and,
// for SETQUOTA, the limits by upper-case resource name.
type QuotaArgs struct {
	Root   string
	Limits map[string]uint64
}

// IDArgs for ID (RFC 2971): field/value pairs, nil for "ID NIL".
type IDArgs struct{ Params map[string]*string }
