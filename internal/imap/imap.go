// Package imap holds the protocol-level data types shared by the wire
// parser (internal/wire), the session (internal/imapserver) and search
// evaluation: sequence sets, fetch attributes, search keys and the typed
// arguments of each command. It does no I/O and imports nothing of ours.
package imap

import "time"

// System flags, RFC 9051 §2.3.2. Comparisons of flags are case-insensitive;
// these are the canonical spellings the server stores and sends.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
	FlagRecent   = `\Recent` // rev1 only; never stored
)

// SeqRange is one range of a sequence set. Zero in Start or Stop stands for
// "*" (the largest number in use). Start may be greater than Stop: RFC 9051
// §9 says "2:4" and "4:2" are equivalent; consumers normalise.
type SeqRange struct {
	Start, Stop uint32
}

// SeqSet is a sequence-set or uid-set (RFC 9051 §9 "sequence-set").
// Saved is true for "$", the SEARCHRES saved result (RFC 5182); Ranges is
// then empty.
type SeqSet struct {
	Ranges []SeqRange
	Saved  bool
}

// Partial is the <offset.count> suffix of BODY[]/BINARY[] (RFC 9051 §6.4.5).
type Partial struct {
	Offset, Count uint32
}

// Section is a body section specifier, RFC 9051 §6.4.5 "section".
// Part is the part path ("1.2.3" → [1 2 3]); Specifier is "" (whole part),
// "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT" or "MIME" (upper case).
// Fields holds the header field names of HEADER.FIELDS[.NOT], as sent.
type Section struct {
	Part      []int
	Specifier string
	Fields    []string
}

// FetchKind says which FETCH data item an attribute is.
type FetchKind int

const (
	FetchFlags FetchKind = iota + 1
	FetchInternalDate
	FetchRFC822Size
	FetchEnvelope
	FetchBody          // BODY (non-extensible body structure)
	FetchBodyStructure // BODYSTRUCTURE
	FetchUID
	FetchBodySection // BODY[section]<partial>, BODY.PEEK[...]
	FetchBinarySection
	FetchBinarySize
	FetchRFC822       // rev1: same as BODY[]
	FetchRFC822Header // rev1: same as BODY.PEEK[HEADER]
	FetchRFC822Text   // rev1: same as BODY[TEXT]
	FetchModSeq       // CONDSTORE (parsed; served once CONDSTORE is complete)
	FetchSaveDate
	FetchEmailID
	FetchThreadID
	FetchPreview
)

// FetchAtt is one FETCH data item. Macros (ALL, FAST, FULL) are expanded by
// the parser. Peek is set for BODY.PEEK and BINARY.PEEK. Partial is nil
// when no <offset.count> was given.
type FetchAtt struct {
	Kind    FetchKind
	Peek    bool
	Section Section
	Partial *Partial
}

// SearchOp names a search key (RFC 9051 §6.4.4).
type SearchOp int

const (
	SearchAll    SearchOp = iota + 1
	SearchAnd             // Sub holds the operands (a parenthesised list or the top-level list)
	SearchOr              // Sub[0] OR Sub[1]
	SearchNot             // NOT Sub[0]
	SearchSeqSet          // Set, message sequence numbers
	SearchUIDSet          // UID Set
	SearchAnswered
	SearchDeleted
	SearchDraft
	SearchFlagged
	SearchSeen
	SearchUnanswered
	SearchUndeleted
	SearchUndraft
	SearchUnflagged
	SearchUnseen
	SearchKeyword   // Str is the keyword
	SearchUnkeyword // Str is the keyword
	SearchNew       // rev1: RECENT UNSEEN
	SearchOld       // rev1: NOT RECENT
	SearchRecent    // rev1
	SearchBefore    // Date: internal date, day granularity
	SearchOn
	SearchSince
	SearchSentBefore // Date: Date: header
	SearchSentOn
	SearchSentSince
	SearchLarger  // Num
	SearchSmaller // Num
	SearchBcc     // Str
	SearchCc
	SearchFrom
	SearchTo
	SearchSubject
	SearchHeader      // Field and Str
	SearchBody        // Str
	SearchText        // Str
	SearchModSeq      // Num (CONDSTORE, RFC 7162 §3.1.5)
	SearchSavedBefore // Date: save date (RFC 8514 §4.3)
	SearchSavedOn
	SearchSavedSince
	SearchEmailID  // Str: an EMAILID (RFC 8474 §6)
	SearchThreadID // Str: a THREADID
)

// SearchKey is one node of a search program.
type SearchKey struct {
	Op    SearchOp
	Str   string
	Field string
	Date  time.Time // midnight UTC of the given day
	Num   int64
	Set   SeqSet
	Sub   []SearchKey
}

// SearchReturn is the RETURN option set of an extended SEARCH
// (RFC 9051 §6.4.4, RFC 4731, RFC 5182). Present is false for a plain
// SEARCH without RETURN; with "RETURN ()" Present is true and All is set
// (RFC 4731: an empty list means ALL).
type SearchReturn struct {
	Present                    bool
	Min, Max, All, Count, Save bool
}

// StatusItem is a STATUS data item name, upper case: MESSAGES, UIDNEXT,
// UIDVALIDITY, UNSEEN, DELETED, SIZE, RECENT (and later HIGHESTMODSEQ...).
type StatusItem string

// StoreMode is the sign of a STORE data item.
type StoreMode int

const (
	StoreReplace StoreMode = iota // FLAGS
	StoreAdd                      // +FLAGS
	StoreRemove                   // -FLAGS
)
