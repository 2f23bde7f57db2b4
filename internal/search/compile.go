package search

import (
	"slices"
	"time"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/message"
)

// maxEvalDepth bounds the alternation of AND and OR after flattening;
// each level holds a few bitsets while evaluating.
const maxEvalDepth = 64

// kind is the kind of a compiled node.
type kind uint8

const (
	kConst    kind = iota // every message (with neg: none)
	kAnd                  // all of subs
	kOr                   // any of subs
	kSeq                  // ranges of sequence numbers
	kUID                  // ranges of UIDs
	kSaved                // "$" (RFC 5182)
	kFlag                 // flag (system flag or keyword)
	kRecent               // rev1 \Recent
	kDate                 // internal date, day granularity
	kLarger               // RFC822.SIZE > num
	kModSeq               // MODSEQ >= num (RFC 7162 §3.1.5)
	kSaveDate             // save date (RFC 8514 §4.3) against day
	kEmailID              // EMAILID = num (RFC 8474 §6)
	kThreadID             // THREADID = num
	kSmaller              // RFC822.SIZE < num
	kHeader               // header field contains needle
	kSent                 // Date: header, day granularity
	kText                 // BODY / TEXT, via Env.Text
)

// cmpOp is the comparison of a date key.
type cmpOp int8

const (
	cmpBefore cmpOp = iota
	cmpOn
	cmpSince
)

// node is one compiled key. Negation is pushed down to the leaves (neg),
// so inner nodes are only AND and OR.
type node struct {
	kind kind
	neg  bool
	subs []*node

	ranges []imap.SeqRange // kSeq, kUID
	flag   string          // kFlag: lower case
	cmp    cmpOp           // kDate, kSent
	day    int64           // kDate, kSent: days since 1970-01-01
	num    int64           // kLarger, kSmaller

	field       string // kHeader: field name
	raw         string // kHeader: the needle as given, for Env.HeaderText
	needle      string // kHeader: folded needle
	needleASCII bool   // kHeader: needle is pure ASCII

	needles []string // kText
	header  bool     // kText: TEXT rather than BODY

	// Header and text keys: known is set once res holds the key's value
	// (before neg) for every still-undecided message.
	known bool
	res   bitset
	// cand, for a kHeader key narrowed by Env.HeaderText and not yet
	// known, holds the messages that may match (before neg); the
	// others surely do not. nil when not narrowed.
	cand bitset
}

// compiler turns an imap.SearchKey into nodes and collects the deferred
// leaves.
type compiler struct {
	keys    int
	headers []*node // kHeader and kSent leaves
	texts   []*node // kText leaves
}

// compile builds the node for key, negated when neg is set.
func (c *compiler) compile(key imap.SearchKey, neg bool, depth int) (*node, error) {
	c.keys++
	if c.keys > MaxKeys {
		return nil, errorf(ErrTooComplex, "more than %d keys", MaxKeys)
	}
	if depth > MaxDepth {
		return nil, errorf(ErrTooComplex, "nested deeper than %d", MaxDepth)
	}
	leaf := func(k kind) (*node, error) { return &node{kind: k, neg: neg}, nil }
	flag := func(name string, unset bool) (*node, error) {
		return &node{kind: kFlag, neg: neg != unset, flag: lowerASCII(name)}, nil
	}
	switch key.Op {
	case imap.SearchAll:
		return leaf(kConst)
	case imap.SearchAnd, imap.SearchOr:
		if key.Op == imap.SearchOr && len(key.Sub) != 2 {
			return nil, errorf(ErrBadKey, "OR with %d operands", len(key.Sub))
		}
		// De Morgan: NOT (a AND b) = (NOT a) OR (NOT b), and dually.
		k := kAnd
		if (key.Op == imap.SearchOr) != neg {
			k = kOr
		}
		n := &node{kind: k, subs: make([]*node, 0, len(key.Sub))}
		for _, s := range key.Sub {
			sn, err := c.compile(s, neg, depth+1)
			if err != nil {
				return nil, err
			}
			n.subs = append(n.subs, sn)
		}
		return n, nil
	case imap.SearchNot:
		if len(key.Sub) != 1 {
			return nil, errorf(ErrBadKey, "NOT with %d operands", len(key.Sub))
		}
		return c.compile(key.Sub[0], !neg, depth+1)
	case imap.SearchSeqSet, imap.SearchUIDSet:
		if key.Set.Saved {
			return leaf(kSaved)
		}
		n := &node{kind: kSeq, neg: neg, ranges: key.Set.Ranges}
		if key.Op == imap.SearchUIDSet {
			n.kind = kUID
		}
		return n, nil
	case imap.SearchAnswered, imap.SearchUnanswered:
		return flag(imap.FlagAnswered, key.Op == imap.SearchUnanswered)
	case imap.SearchDeleted, imap.SearchUndeleted:
		return flag(imap.FlagDeleted, key.Op == imap.SearchUndeleted)
	case imap.SearchDraft, imap.SearchUndraft:
		return flag(imap.FlagDraft, key.Op == imap.SearchUndraft)
	case imap.SearchFlagged, imap.SearchUnflagged:
		return flag(imap.FlagFlagged, key.Op == imap.SearchUnflagged)
	case imap.SearchSeen, imap.SearchUnseen:
		return flag(imap.FlagSeen, key.Op == imap.SearchUnseen)
	case imap.SearchKeyword, imap.SearchUnkeyword:
		return flag(key.Str, key.Op == imap.SearchUnkeyword)
	case imap.SearchNew:
		// RFC 3501 §6.4.4: NEW is functionally equivalent to "(RECENT UNSEEN)".
		return c.compile(imap.SearchKey{Op: imap.SearchAnd, Sub: []imap.SearchKey{
			{Op: imap.SearchRecent}, {Op: imap.SearchUnseen},
		}}, neg, depth+1)
	case imap.SearchOld:
		// RFC 3501 §6.4.4: OLD is functionally equivalent to "NOT RECENT".
		return &node{kind: kRecent, neg: !neg}, nil
	case imap.SearchRecent:
		return leaf(kRecent)
	case imap.SearchBefore, imap.SearchOn, imap.SearchSince:
		return &node{kind: kDate, neg: neg, cmp: dateCmp(key.Op), day: keyDay(key.Date)}, nil
	case imap.SearchSavedBefore, imap.SearchSavedOn, imap.SearchSavedSince:
		return &node{kind: kSaveDate, neg: neg, cmp: dateCmp(key.Op), day: keyDay(key.Date)}, nil
	case imap.SearchSentBefore, imap.SearchSentOn, imap.SearchSentSince:
		return &node{kind: kSent, neg: neg, cmp: dateCmp(key.Op), day: keyDay(key.Date)}, nil
	case imap.SearchLarger:
		return &node{kind: kLarger, neg: neg, num: key.Num}, nil
	case imap.SearchSmaller:
		return &node{kind: kSmaller, neg: neg, num: key.Num}, nil
	case imap.SearchBcc, imap.SearchCc, imap.SearchFrom, imap.SearchTo, imap.SearchSubject:
		return headerNode(addressField[key.Op], key.Str, neg), nil
	case imap.SearchHeader:
		return headerNode(key.Field, key.Str, neg), nil
	case imap.SearchBody, imap.SearchText:
		if key.Str == "" {
			// The empty string is a substring of every text.
			return leaf(kConst)
		}
		return &node{kind: kText, neg: neg, needles: []string{key.Str}, header: key.Op == imap.SearchText}, nil
	case imap.SearchModSeq:
		return &node{kind: kModSeq, neg: neg, num: key.Num}, nil
	case imap.SearchEmailID, imap.SearchThreadID:
		// An id this server did not make matches nothing.
		kind, parse := kEmailID, imap.ParseEmailID
		if key.Op == imap.SearchThreadID {
			kind, parse = kThreadID, imap.ParseThreadID
		}
		n, ok := parse(key.Str)
		if !ok {
			n = -1
		}
		return &node{kind: kind, neg: neg, num: n}, nil
	}
	return nil, errorf(ErrBadKey, "unknown operator %d", key.Op)
}

// addressField names the header field of the envelope keys.
var addressField = map[imap.SearchOp]string{
	imap.SearchBcc:     "Bcc",
	imap.SearchCc:      "Cc",
	imap.SearchFrom:    "From",
	imap.SearchTo:      "To",
	imap.SearchSubject: "Subject",
}

// headerNode builds a header substring key with its needle folded once.
func headerNode(field, str string, neg bool) *node {
	f := message.Fold(str)
	return &node{kind: kHeader, neg: neg, field: field, raw: str, needle: f, needleASCII: isASCII(f)}
}

// dateCmp maps a date key to its comparison.
func dateCmp(op imap.SearchOp) cmpOp {
	switch op {
	case imap.SearchBefore, imap.SearchSentBefore, imap.SearchSavedBefore:
		return cmpBefore
	case imap.SearchOn, imap.SearchSentOn, imap.SearchSavedOn:
		return cmpOn
	}
	return cmpSince
}

// keyDay returns the day number of a search date (given as midnight UTC).
func keyDay(t time.Time) int64 {
	y, m, d := t.UTC().Date()
	return floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// flatten simplifies n in place: nested AND (OR) nodes are merged into
// their AND (OR) parent, constants are folded, text keys that can share
// one Env.Text call are merged, and children are ordered cheap first.
func flatten(n *node) *node {
	if n.kind != kAnd && n.kind != kOr {
		return n
	}
	isAnd := n.kind == kAnd
	subs := make([]*node, 0, len(n.subs))
	for _, s := range n.subs {
		s = flatten(s)
		switch {
		case s.kind == n.kind:
			subs = append(subs, s.subs...)
		case s.kind == kConst && s.neg != isAnd:
			// AND with true, OR with false: drop.
		case s.kind == kConst:
			// AND with false, OR with true: the whole node.
			return s
		default:
			subs = append(subs, s)
		}
	}
	// Under AND, BODY a BODY b is one call with needles a and b; under OR,
	// NOT BODY a OR NOT BODY b is NOT (BODY a BODY b).
	var merged [2]*node // by header
	out := subs[:0]
	for _, s := range subs {
		if s.kind == kText && s.neg != isAnd {
			h := 0
			if s.header {
				h = 1
			}
			if m := merged[h]; m != nil {
				m.needles = append(m.needles, s.needles...)
				continue
			}
			merged[h] = s
		}
		out = append(out, s)
	}
	switch len(out) {
	case 0:
		return &node{kind: kConst, neg: !isAnd}
	case 1:
		return out[0]
	}
	slices.SortStableFunc(out, func(a, b *node) int { return cost(a) - cost(b) })
	n.subs = out
	return n
}

// cost ranks nodes by evaluation cost so that cheap keys narrow the
// candidates of dearer ones.
func cost(n *node) int {
	switch n.kind {
	case kConst:
		return 0
	case kSeq, kUID, kSaved:
		return 1
	case kFlag, kRecent, kLarger, kSmaller, kModSeq, kEmailID, kThreadID:
		return 2
	case kDate, kSaveDate:
		return 3
	case kHeader, kSent:
		return 10
	case kText:
		if n.header {
			return 21 // TEXT reads the header too
		}
		return 20
	}
	c := 4
	for _, s := range n.subs {
		c = max(c, cost(s))
	}
	return c
}

// check enforces the evaluation limits on the flattened program and
// collects its deferred leaves.
func (c *compiler) check(root *node) error {
	var walk func(n *node, depth int) error
	walk = func(n *node, depth int) error {
		if depth > maxEvalDepth {
			return errorf(ErrTooComplex, "AND/OR nested deeper than %d", maxEvalDepth)
		}
		switch n.kind {
		case kHeader, kSent:
			c.headers = append(c.headers, n)
		case kText:
			c.texts = append(c.texts, n)
		}
		for _, s := range n.subs {
			if err := walk(s, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return err
	}
	if len(c.headers)+len(c.texts) > MaxDeferred {
		return errorf(ErrTooComplex, "more than %d header and text keys", MaxDeferred)
	}
	return nil
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// isASCII reports whether s is pure ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
