package search

import (
	"context"
	"errors"
	"slices"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// evaluator holds the state of one Eval.
type evaluator struct {
	env   *Env
	pool  pool
	saved []uint32 // env.Saved, sorted
	cands []bitset // the distinct node.cand bitsets, until headers are read
}

// tri is a three-valued result over a mask: t holds the messages that
// surely match, p those that possibly match (t ⊆ p ⊆ mask).
type tri struct{ t, p bitset }

// release hands r's bitsets back to the pool.
func (e *evaluator) release(r tri) {
	e.pool.put(r.t)
	e.pool.put(r.p)
}

// run evaluates root in phases: in-memory keys, then headers, then each
// text key, each phase only over the messages still undecided.
func (e *evaluator) run(ctx context.Context, root *node, c *compiler) (bitset, error) {
	undecided := e.pool.full()
	result := e.pool.get()
	// step evaluates root over undecided, adds the sure matches to result
	// and leaves the still-unknown messages in undecided.
	step := func() {
		r := e.eval(root, undecided)
		result.or(r.t)
		copy(undecided, r.p)
		undecided.andNot(r.t)
		e.release(r)
	}
	step()
	if len(c.headers) > 0 && !undecided.empty() && e.env.HeaderText != nil {
		if err := e.narrowHeaders(ctx, c.headers, undecided); err != nil {
			return nil, err
		}
		step()
	}
	if len(c.headers) > 0 && !undecided.empty() {
		if err := e.fetchHeaders(ctx, c.headers, undecided); err != nil {
			return nil, err
		}
		step()
	}
	for _, t := range c.texts {
		if undecided.empty() {
			break
		}
		if err := e.fetchText(ctx, t, undecided); err != nil {
			return nil, err
		}
		step()
	}
	if !undecided.empty() {
		// Every key is known after the last phase; this cannot happen.
		return nil, errorf(ErrBadKey, "evaluation left %d messages undecided", undecided.count())
	}
	e.pool.put(undecided)
	return result, nil
}

// uidsOf returns the UIDs of the messages in b.
func (e *evaluator) uidsOf(b bitset) []uint32 {
	uids := make([]uint32, 0, b.count())
	b.each(func(i int) { uids = append(uids, e.env.Msgs[i].UID) })
	return uids
}

// position returns the index of the message with uid, or -1.
func (e *evaluator) position(uid uint32) int {
	i, ok := slices.BinarySearchFunc(e.env.Msgs, uid, func(m Msg, u uint32) int {
		return cmpUint32(m.UID, u)
	})
	if !ok {
		return -1
	}
	return i
}

// fetchText calls Env.Text once for the text key t over the undecided
// messages and records the answer in t.res.
func (e *evaluator) fetchText(ctx context.Context, t *node, undecided bitset) error {
	if e.env.Text == nil {
		return errors.New("search: BODY/TEXT search not available")
	}
	uids, err := e.env.Text(ctx, e.uidsOf(undecided), t.needles, t.header)
	if err != nil {
		return err
	}
	t.res = e.pool.get()
	for _, u := range uids {
		if i := e.position(u); i >= 0 && undecided.has(i) {
			t.res.set(i)
		}
	}
	t.known = true
	return nil
}

// eval evaluates n over mask.
func (e *evaluator) eval(n *node, mask bitset) tri {
	switch n.kind {
	case kAnd:
		acc := e.eval(n.subs[0], mask)
		for _, s := range n.subs[1:] {
			if acc.p.empty() {
				break
			}
			r := e.eval(s, acc.p)
			// r.p ⊆ acc.p, so AND's possible set is r.p.
			acc.t.and(r.t)
			acc.p, r.p = r.p, acc.p
			e.release(r)
		}
		return acc
	case kOr:
		acc := tri{t: e.pool.get(), p: e.pool.get()}
		rest := e.pool.get()
		for _, s := range n.subs {
			copy(rest, mask)
			rest.andNot(acc.t)
			if rest.empty() {
				break
			}
			r := e.eval(s, rest)
			acc.t.or(r.t)
			acc.p.or(r.p)
			e.release(r)
		}
		e.pool.put(rest)
		return acc
	case kHeader, kSent, kText:
		t, p := e.pool.get(), e.pool.get()
		if !n.known {
			copy(p, mask)
			if n.cand != nil {
				// Outside cand the key is false: NOT key is true there.
				if n.neg {
					copy(t, mask)
					t.andNot(n.cand)
				} else {
					p.and(n.cand)
				}
			}
			return tri{t, p}
		}
		copy(t, mask)
		if n.neg {
			t.andNot(n.res)
		} else {
			t.and(n.res)
		}
		copy(p, t)
		return tri{t, p}
	}
	t := e.pool.get()
	e.leaf(n, mask, t)
	p := e.pool.get()
	copy(p, t)
	return tri{t, p}
}

// leaf sets in dst the messages of mask that match the in-memory key n.
func (e *evaluator) leaf(n *node, mask, dst bitset) {
	msgs := e.env.Msgs
	switch n.kind {
	case kConst:
		copy(dst, mask)
	case kSeq:
		e.seqSet(n.ranges, dst)
		dst.and(mask)
	case kUID:
		e.uidSet(n.ranges, dst)
		dst.and(mask)
	case kSaved:
		e.savedSet(dst)
		dst.and(mask)
	case kFlag:
		mask.each(func(i int) {
			if hasFlag(msgs[i].Flags, n.flag) {
				dst.set(i)
			}
		})
	case kRecent:
		mask.each(func(i int) {
			if msgs[i].Recent {
				dst.set(i)
			}
		})
	case kLarger:
		mask.each(func(i int) {
			if msgs[i].Size > n.num {
				dst.set(i)
			}
		})
	case kSmaller:
		mask.each(func(i int) {
			if msgs[i].Size < n.num {
				dst.set(i)
			}
		})
	case kEmailID:
		mask.each(func(i int) {
			if msgs[i].EmailID == n.num {
				dst.set(i)
			}
		})
	case kThreadID:
		mask.each(func(i int) {
			if msgs[i].ThreadID == n.num {
				dst.set(i)
			}
		})
	case kModSeq:
		// RFC 7162 §3.1.5: messages whose mod-sequence is at least num.
		mask.each(func(i int) {
			if msgs[i].ModSeq >= uint64(n.num) {
				dst.set(i)
			}
		})
	case kSaveDate:
		loc := e.env.Loc
		mask.each(func(i int) {
			d := msgs[i].SaveDate
			if d.IsZero() {
				d = msgs[i].InternalDate // RFC 8514 §4.3's fallback
			}
			if dayCmp(internalDay(d, loc), n.cmp, n.day) {
				dst.set(i)
			}
		})
	case kDate:
		loc := e.env.Loc
		mask.each(func(i int) {
			if dayCmp(internalDay(msgs[i].InternalDate, loc), n.cmp, n.day) {
				dst.set(i)
			}
		})
	}
	if n.neg {
		// dst ⊆ mask: flip within mask.
		for w := range dst {
			dst[w] = mask[w] &^ dst[w]
		}
	}
}

// hasFlag reports whether flags holds lname (lower case), ignoring ASCII
// case (RFC 9051 §2.3.2: flags and keywords are case-insensitive; flag
// names are atoms, so ASCII folding is all there is). Lengths are compared
// first so that most non-matching flags cost no byte reads.
func hasFlag(flags []string, lname string) bool {
	for _, f := range flags {
		if len(f) != len(lname) {
			continue
		}
		i := 0
		for i < len(f) && lower(f[i]) == lname[i] {
			i++
		}
		if i == len(f) {
			return true
		}
	}
	return false
}

// lower maps an ASCII upper-case letter to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// lowerASCII lower-cases the ASCII letters of s.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}

// internalDay returns the day number of an internal date, in loc when set
// and in the date's own zone otherwise.
func internalDay(t time.Time, loc *time.Location) int64 {
	if loc != nil {
		t = t.In(loc)
	}
	_, off := t.Zone()
	return floorDiv(t.Unix()+int64(off), 86400)
}

// dayCmp applies a date key: day before, on, or since key.
func dayCmp(day int64, op cmpOp, key int64) bool {
	switch op {
	case cmpBefore:
		return day < key
	case cmpOn:
		return day == key
	}
	return day >= key
}

// seqSet sets the positions of the sequence numbers in ranges; "*" is the
// last message (RFC 9051 §9 "seq-number"). Numbers beyond the last
// message select nothing: the session rejects them before evaluation
// when it wants the BAD of RFC 9051 §9.
func (e *evaluator) seqSet(ranges []imap.SeqRange, dst bitset) {
	n := uint32(len(e.env.Msgs))
	if n == 0 {
		return
	}
	for _, r := range ranges {
		lo, hi := star(r.Start, n), star(r.Stop, n)
		if lo > hi {
			lo, hi = hi, lo
		}
		if lo > n {
			continue
		}
		hi = min(hi, n)
		dst.setRange(int(lo)-1, int(hi))
	}
}

// uidSet sets the positions of the UIDs in ranges. "*" is the largest UID
// in the view, so "n:*" matches the last message even when n is larger
// (RFC 9051 §9: "4:2" equals "2:4", and RFC 9051 §6.4.8 on "*").
func (e *evaluator) uidSet(ranges []imap.SeqRange, dst bitset) {
	msgs := e.env.Msgs
	if len(msgs) == 0 {
		return
	}
	maxUID := msgs[len(msgs)-1].UID
	for _, r := range ranges {
		lo, hi := star(r.Start, maxUID), star(r.Stop, maxUID)
		if lo > hi {
			lo, hi = hi, lo
		}
		i, _ := slices.BinarySearchFunc(msgs, lo, func(m Msg, u uint32) int { return cmpUint32(m.UID, u) })
		j := i
		if hi == ^uint32(0) {
			j = len(msgs)
		} else {
			j, _ = slices.BinarySearchFunc(msgs[i:], hi+1, func(m Msg, u uint32) int { return cmpUint32(m.UID, u) })
			j += i
		}
		dst.setRange(i, j)
	}
}

// savedSet sets the positions of the saved result's UIDs (RFC 5182: "$"
// names the messages of the last SEARCH RETURN (SAVE), by UID, whether it
// is used as a sequence set or a UID set; expunged ones are gone).
func (e *evaluator) savedSet(dst bitset) {
	msgs := e.env.Msgs
	i := 0
	for _, u := range e.saved {
		for i < len(msgs) && msgs[i].UID < u {
			i++
		}
		if i == len(msgs) {
			return
		}
		if msgs[i].UID == u {
			dst.set(i)
		}
	}
}

// star replaces 0 ("*") by last.
func star(v, last uint32) uint32 {
	if v == 0 {
		return last
	}
	return v
}

// sortedSaved returns the saved UIDs in ascending order, copying only
// when they are not already.
func sortedSaved(s []uint32) []uint32 {
	if slices.IsSorted(s) {
		return s
	}
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// cmpUint32 compares two UIDs.
func cmpUint32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
