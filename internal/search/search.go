// Package search evaluates IMAP SEARCH programs (RFC 9051 §6.4.4, with the
// IMAP4rev1 keys NEW, OLD and RECENT of RFC 3501 §6.4.4 and the SEARCHRES
// "$" marker of RFC 5182) against the session's view of a mailbox.
//
// Implementation notes.
//
// Evaluation works on bitsets over sequence positions so that a search of
// a mailbox with a million messages touches each message's in-memory
// metadata (flags, internal date, size, UID) at most a few times and
// allocates nothing per message. Keys fall in three cost classes:
//
//   - cheap: sequence and UID sets, "$", flags, internal date, size;
//     evaluated from Env.Msgs;
//   - header: FROM, TO, CC, BCC, SUBJECT, HEADER, SENT*; need each
//     message's header block, fetched through Env.Headers, after
//     Env.HeaderText (when set) has narrowed the substring keys to the
//     messages whose header text contains their needle;
//   - text: BODY and TEXT; delegated to Env.Text.
//
// The program is first rewritten (negation pushed down to the keys, nested
// AND and OR flattened, BODY/TEXT keys under one AND merged into a single
// Env.Text call with several needles), then evaluated in Kleene's
// three-valued logic: keys whose class has not been fetched yet are
// "unknown". Each pass yields the messages that surely match (T) and those
// that possibly match (P); the messages in P but not T are the only ones
// whose headers, then texts, are fetched. Because a definite three-valued
// answer holds whatever the unknown keys turn out to be, messages decided
// early are never looked at again. Headers is called at most once per
// Eval and Text at most once per (merged) text key, each with only the
// still-undecided candidates.
//
// Dates. BEFORE, ON and SINCE compare the calendar day of the internal
// date, "disregarding time and timezone" (RFC 9051 §6.4.4): the day is
// taken in Env.Loc when it is set (a server may want its own zone, as
// Dovecot does), otherwise in the zone the internal date carries (the
// zone of the APPEND date-time or of the delivering server). SENTBEFORE,
// SENTON and SENTSINCE take the day of the Date: header field in the
// header's own zone; a message without a parseable Date: falls back to
// its internal date, as Dovecot does.
//
// Strings are compared with the i;unicode-casemap comparator (RFC 5051)
// through message.Fold: substring of the folded, RFC 2047-decoded field
// value. Fold uses simple (one-rune) case mapping, so "É" matches "é" but
// "STRASSE" does not match "straße".
package search

import (
	"context"
	"errors"
	"fmt"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// Limits on a search program. Programs beyond them fail with
// ErrTooComplex; real clients stay far below.
const (
	// MaxKeys is the largest number of search keys (nodes) in a program.
	MaxKeys = 10000
	// MaxDepth is the deepest nesting of keys (NOT, OR and parenthesised
	// lists each add one level). Independently, after nested ANDs and
	// ORs are merged, AND and OR may alternate at most 64 levels deep.
	MaxDepth = 1000
	// MaxDeferred is the largest number of header and text keys after
	// merging; each holds one bit per message while evaluating.
	MaxDeferred = 100
)

// Errors returned by Eval. Callers test them with errors.Is.
var (
	// ErrUnsupportedKey is returned for a key this package does not
	// evaluate yet (MODSEQ, until CONDSTORE is complete); the session
	// answers BAD.
	ErrUnsupportedKey = errors.New("search: unsupported search key")
	// ErrTooComplex is returned for a program beyond the limits above.
	ErrTooComplex = errors.New("search: search program too complex")
	// ErrBadKey is returned for a malformed program (an OR without two
	// operands, an unknown operator...), which the parser should never
	// produce.
	ErrBadKey = errors.New("search: malformed search key")
)

// Msg is what evaluation knows of one message in the session's view; its
// sequence number is its index in Env.Msgs plus one.
type Msg struct {
	UID          uint32
	Flags        []string // system flags and keywords, any case
	Recent       bool     // rev1 \Recent for this session
	InternalDate time.Time
	Size         int64     // RFC822.SIZE
	ModSeq       uint64    // CONDSTORE mod-sequence (RFC 7162)
	SaveDate     time.Time // RFC 8514; zero: use InternalDate
	EmailID      int64     // RFC 8474 EMAILID, as a number (imap.EmailID)
	ThreadID     int64     // RFC 8474 THREADID, as a number (imap.ThreadID)
}

// Env is the session's view of the selected mailbox and access to what
// evaluation cannot find in memory.
type Env struct {
	// Msgs is the session's view in sequence order; UIDs must be strictly
	// ascending (RFC 9051 §2.3.1.1), which UID lookups rely on.
	Msgs []Msg
	// Saved holds the UIDs of the SEARCHRES saved result ("$",
	// RFC 5182), in any order; nil or empty matches nothing.
	Saved []uint32
	// Loc, when set, is the zone in which the day of an internal date is
	// taken for BEFORE, ON and SINCE; when nil the internal date's own
	// zone is used. See the package comment.
	Loc *time.Location
	// Headers calls fn with the top-level header block of each of uids
	// (ascending) that still exists. Eval calls it at most once, with
	// exactly the candidates whose header keys still matter.
	Headers func(ctx context.Context, uids []uint32, fn func(uid uint32, header []byte) error) error
	// HeaderText, when set, narrows header keys before Headers is
	// called: it returns those of uids (ascending) whose decoded header
	// fields may contain all needles, compared case-insensitively by the
	// store (store.Mailbox.SearchHeaderText). It must return every
	// message having a field whose decoded value contains the needles,
	// and may return more: Eval still decides each candidate from its
	// header block. Eval calls it once per distinct needle of the
	// FROM/TO/CC/BCC/SUBJECT/HEADER keys, never with an empty needle,
	// with the still-undecided messages, and then asks Headers only for
	// the candidates.
	HeaderText func(ctx context.Context, uids []uint32, needles []string) ([]uint32, error)
	// Text returns those of uids (ascending) whose text contains all
	// needles, compared case-insensitively by the store; header is true
	// for TEXT (header and body) and false for BODY. Needles are never
	// empty strings.
	Text func(ctx context.Context, uids []uint32, needles []string, header bool) ([]uint32, error)
}

// Eval returns the sequence numbers (1-based, ascending) of the messages
// of env that match key. An error is returned for an unsupported or
// malformed key, a program beyond the limits, a failing Headers or Text
// call, or a cancelled ctx.
func Eval(ctx context.Context, env *Env, key imap.SearchKey) ([]uint32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if env == nil {
		return nil, errors.New("search: no environment")
	}
	c := compiler{}
	root, err := c.compile(key, false, 0)
	if err != nil {
		return nil, err
	}
	root = flatten(root)
	if err := c.check(root); err != nil {
		return nil, err
	}
	e := &evaluator{env: env, pool: pool{n: len(env.Msgs)}, saved: sortedSaved(env.Saved)}
	res, err := e.run(ctx, root, &c)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, res.count())
	res.each(func(i int) { out = append(out, uint32(i+1)) })
	return out, nil
}

// UIDs maps ascending sequence numbers, as Eval returns them, to the UIDs
// of env.Msgs (for UID SEARCH and for SAVE). Numbers out of range are
// skipped.
func (env *Env) UIDs(seqs []uint32) []uint32 {
	out := make([]uint32, 0, len(seqs))
	for _, s := range seqs {
		if s >= 1 && int64(s) <= int64(len(env.Msgs)) {
			out = append(out, env.Msgs[s-1].UID)
		}
	}
	return out
}

// errorf wraps a sentinel error with detail.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
