package search

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"petrel.dev/petrel/internal/message"
)

// headerGroup is the header keys that read one field, so that each
// message's header is split once per distinct field, not once per key.
type headerGroup struct {
	field  string
	leaves []*node
}

// groupHeaders groups header keys by field name (case-insensitively);
// SENT* keys read the Date: field.
func groupHeaders(leaves []*node) []headerGroup {
	var groups []headerGroup
	for _, n := range leaves {
		field := n.field
		if n.kind == kSent {
			field = "Date"
		}
		i := slices.IndexFunc(groups, func(g headerGroup) bool { return strings.EqualFold(g.field, field) })
		if i < 0 {
			groups = append(groups, headerGroup{field: field})
			i = len(groups) - 1
		}
		groups[i].leaves = append(groups[i].leaves, n)
	}
	return groups
}

// narrowHeaders asks Env.HeaderText, once per distinct needle, which of
// the undecided messages may match each substring header key, and records
// the answer in the key's cand. Keys with an empty needle (which match
// every message having the field) and SENT* keys are not narrowed.
func (e *evaluator) narrowHeaders(ctx context.Context, leaves []*node, undecided bitset) error {
	var uids []uint32
	byNeedle := map[string]bitset{}
	for _, n := range leaves {
		if n.kind != kHeader || n.raw == "" {
			continue
		}
		if b, ok := byNeedle[n.raw]; ok {
			n.cand = b
			continue
		}
		if uids == nil {
			uids = e.uidsOf(undecided)
		}
		found, err := e.env.HeaderText(ctx, uids, []string{n.raw})
		if err != nil {
			return err
		}
		b := e.pool.get()
		for _, u := range found {
			if i := e.position(u); i >= 0 && undecided.has(i) {
				b.set(i)
			}
		}
		byNeedle[n.raw] = b
		e.cands = append(e.cands, b) // keys with this needle share b
		n.cand = b
	}
	return nil
}

// fetchHeaders calls Env.Headers once for the undecided messages that
// some header key may match (all of them unless every key was narrowed)
// and records, for each header key in leaves, which of them match (before
// negation).
func (e *evaluator) fetchHeaders(ctx context.Context, leaves []*node, undecided bitset) error {
	if e.env.Headers == nil {
		return errors.New("search: header search not available")
	}
	need := e.pool.get()
	narrowed := true
	for _, n := range leaves {
		n.res = e.pool.get()
		if n.cand == nil {
			narrowed = false
		} else {
			need.or(n.cand)
		}
	}
	if narrowed {
		need.and(undecided)
	} else {
		copy(need, undecided)
	}
	groups := groupHeaders(leaves)
	msgs := e.env.Msgs
	var err error
	if !need.empty() {
		err = e.env.Headers(ctx, e.uidsOf(need), func(uid uint32, header []byte) error {
			i := e.position(uid)
			if i < 0 || !need.has(i) {
				return nil // not asked for: ignore
			}
			for _, g := range groups {
				var vals []string
				read := false
				for _, n := range g.leaves {
					if n.cand != nil && !n.cand.has(i) {
						continue // surely false
					}
					if !read {
						vals, read = message.HeaderValues(header, g.field), true
					}
					if matchHeader(n, vals, &msgs[i], e.env.Loc) {
						n.res.set(i)
					}
				}
			}
			return ctx.Err()
		})
	}
	e.pool.put(need)
	if err != nil {
		return err
	}
	for _, n := range leaves {
		n.known = true
		n.cand = nil
	}
	for _, b := range e.cands {
		e.pool.put(b)
	}
	e.cands = nil
	return nil
}

// matchHeader evaluates the header key n (kHeader or kSent, before
// negation) on one message, given the values of the field it reads.
func matchHeader(n *node, vals []string, m *Msg, loc *time.Location) bool {
	if n.kind == kSent {
		return dayCmp(sentDay(vals, m, loc), n.cmp, n.day)
	}
	// RFC 9051 §6.4.4: "the empty string is a substring", so an empty
	// needle matches every message that has the field.
	for _, v := range vals {
		if containsFolded(v, n.needle, n.needleASCII) {
			return true
		}
	}
	return false
}

// sentDay returns the day of the message's first Date: header field (its
// values are dates) in the field's own zone (RFC 9051 §6.4.4 SENTBEFORE:
// "disregarding time and timezone"), or of its internal date (in loc, as
// for BEFORE) when the field is missing or does not parse, as Dovecot
// does.
func sentDay(dates []string, m *Msg, loc *time.Location) int64 {
	if len(dates) > 0 {
		if t, ok := message.ParseDate(dates[0]); ok {
			_, off := t.Zone()
			return floorDiv(t.Unix()+int64(off), 86400)
		}
	}
	return internalDay(m.InternalDate, loc)
}

// containsFolded reports whether the i;unicode-casemap folding of hay
// (RFC 5051, message.Fold) contains needle, which is already folded.
// ASCII haystacks, the common case, are compared without allocating.
func containsFolded(hay, needle string, needleASCII bool) bool {
	if needle == "" {
		return true
	}
	if !isASCII(hay) {
		return strings.Contains(message.Fold(hay), needle)
	}
	if !needleASCII {
		// The folding of ASCII is ASCII.
		return false
	}
	return indexUpperASCII(hay, needle) >= 0
}

// indexUpperASCII returns the index of needle (ASCII, upper case) in hay
// (ASCII, any case), or -1.
func indexUpperASCII(hay, needle string) int {
	first := needle[0]
	for i := 0; i+len(needle) <= len(hay); i++ {
		if upper(hay[i]) != first {
			continue
		}
		j := 1
		for j < len(needle) && upper(hay[i+j]) == needle[j] {
			j++
		}
		if j == len(needle) {
			return i
		}
	}
	return -1
}

// upper maps an ASCII lower-case letter to upper case.
func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
