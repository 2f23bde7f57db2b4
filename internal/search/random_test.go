package search

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
	"petrel.dev/petrel/internal/message"
)

// naive evaluates key on message i of f directly, one message at a time,
// as a reference for the bitset and three-valued machinery of Eval.
func naive(f *fixture, key imap.SearchKey, i int) bool {
	env := f.env
	m := env.Msgs[i]
	header := []byte(f.headers[m.UID])
	has := func(name string) bool {
		return slices.ContainsFunc(m.Flags, func(fl string) bool { return strings.EqualFold(fl, name) })
	}
	inSet := func(set imap.SeqSet, v, last uint32) bool {
		if set.Saved {
			return slices.Contains(env.Saved, m.UID)
		}
		for _, r := range set.Ranges {
			lo, hi := star(r.Start, last), star(r.Stop, last)
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= v && v <= hi {
				return true
			}
		}
		return false
	}
	date := func(t time.Time) time.Time {
		y, mo, d := t.Date()
		return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	}
	cmpDate := func(t time.Time) int { return date(t).Compare(key.Date) }
	sent := func() time.Time {
		if v := message.HeaderValues(header, "Date"); len(v) > 0 {
			if t, ok := message.ParseDate(v[0]); ok {
				return t
			}
		}
		return m.InternalDate
	}
	field := func(name string) bool {
		for _, v := range message.HeaderValues(header, name) {
			if strings.Contains(message.Fold(v), message.Fold(key.Str)) {
				return true
			}
		}
		return false
	}
	text := func(withHeader bool) bool {
		t := f.bodies[m.UID]
		if withHeader {
			t = f.headers[m.UID] + t
		}
		return strings.Contains(strings.ToLower(t), strings.ToLower(key.Str))
	}
	switch key.Op {
	case imap.SearchAll:
		return true
	case imap.SearchAnd:
		for _, s := range key.Sub {
			if !naive(f, s, i) {
				return false
			}
		}
		return true
	case imap.SearchOr:
		return naive(f, key.Sub[0], i) || naive(f, key.Sub[1], i)
	case imap.SearchNot:
		return !naive(f, key.Sub[0], i)
	case imap.SearchSeqSet:
		return inSet(key.Set, uint32(i+1), uint32(len(env.Msgs)))
	case imap.SearchUIDSet:
		return inSet(key.Set, m.UID, env.Msgs[len(env.Msgs)-1].UID)
	case imap.SearchSeen:
		return has(imap.FlagSeen)
	case imap.SearchUnseen:
		return !has(imap.FlagSeen)
	case imap.SearchFlagged:
		return has(imap.FlagFlagged)
	case imap.SearchKeyword:
		return has(key.Str)
	case imap.SearchUnkeyword:
		return !has(key.Str)
	case imap.SearchNew:
		return m.Recent && !has(imap.FlagSeen)
	case imap.SearchOld:
		return !m.Recent
	case imap.SearchBefore:
		return cmpDate(m.InternalDate) < 0
	case imap.SearchOn:
		return cmpDate(m.InternalDate) == 0
	case imap.SearchSince:
		return cmpDate(m.InternalDate) >= 0
	case imap.SearchSentBefore:
		return cmpDate(sent()) < 0
	case imap.SearchSentOn:
		return cmpDate(sent()) == 0
	case imap.SearchSentSince:
		return cmpDate(sent()) >= 0
	case imap.SearchLarger:
		return m.Size > key.Num
	case imap.SearchSmaller:
		return m.Size < key.Num
	case imap.SearchFrom:
		return field("From")
	case imap.SearchSubject:
		return field("Subject")
	case imap.SearchHeader:
		return field(key.Field)
	case imap.SearchBody:
		return text(false)
	case imap.SearchText:
		return text(true)
	}
	panic("naive: unhandled key")
}

// TestEvalMatchesNaive compares Eval with the naive evaluator on random
// programs mixing in-memory, header and text keys.
func TestEvalMatchesNaive(t *testing.T) {
	t.Parallel()
	leaves := []imap.SearchKey{
		k(imap.SearchAll), k(imap.SearchSeen), k(imap.SearchUnseen), k(imap.SearchFlagged),
		k(imap.SearchNew), k(imap.SearchOld), ks(imap.SearchKeyword, "WORK"), ks(imap.SearchUnkeyword, "$label1"),
		kd(imap.SearchBefore, 2024, 1, 2), kd(imap.SearchOn, 2024, 1, 1), kd(imap.SearchSince, 2024, 1, 2),
		kd(imap.SearchSentBefore, 2024, 1, 2), kd(imap.SearchSentOn, 2024, 1, 2), kd(imap.SearchSentSince, 2024, 1, 1),
		kn(imap.SearchLarger, 150), kn(imap.SearchSmaller, 350),
		ks(imap.SearchFrom, "example.com"), ks(imap.SearchFrom, "É"), ks(imap.SearchSubject, ""),
		ks(imap.SearchSubject, "o"), hdr("X-Spam", ""), hdr("to", "ALICE"), hdr("DATE", "jan"), ks(imap.SearchFrom, "bob"),
		ks(imap.SearchBody, "notes"), ks(imap.SearchBody, "e"), ks(imap.SearchBody, ""), ks(imap.SearchText, "example.org"),
		ks(imap.SearchText, "meeting"),
		seq(imap.SearchSeqSet, 2, 4), seq(imap.SearchSeqSet, 0, 0, 1, 1), seq(imap.SearchUIDSet, 6, 0),
		seq(imap.SearchUIDSet, 1, 5), saved(imap.SearchSeqSet), saved(imap.SearchUIDSet),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var gen func(depth int) imap.SearchKey
	gen = func(depth int) imap.SearchKey {
		if depth == 0 || rng.IntN(3) == 0 {
			return leaves[rng.IntN(len(leaves))]
		}
		switch rng.IntN(3) {
		case 0:
			return not(gen(depth - 1))
		case 1:
			return or(gen(depth-1), gen(depth-1))
		}
		sub := make([]imap.SearchKey, 1+rng.IntN(3))
		for i := range sub {
			sub[i] = gen(depth - 1)
		}
		return and(sub...)
	}
	for iter := range 3000 {
		key := gen(5)
		f := newFixture()
		f.env.Saved = []uint32{5, 8, 9}
		got, err := Eval(context.Background(), f.env, key)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		var want []uint32
		for i := range f.env.Msgs {
			if naive(f, key, i) {
				want = append(want, uint32(i+1))
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("iteration %d: key %+v: got %v, want %v", iter, key, got, want)
		}
		if len(f.headerUIDs) > 1 {
			t.Fatalf("iteration %d: Headers called %d times", iter, len(f.headerUIDs))
		}
		// The same with header keys narrowed by a store that answers
		// a superset: the answers must not change.
		f = newFixture()
		f.env.Saved = []uint32{5, 8, 9}
		var calls []headerTextCall
		withHeaderText(f, rng, &calls)
		got, err = Eval(context.Background(), f.env, key)
		if err != nil {
			t.Fatalf("iteration %d, narrowed: %v", iter, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("iteration %d, narrowed: key %+v: got %v, want %v", iter, key, got, want)
		}
		if len(f.headerUIDs) > 1 {
			t.Fatalf("iteration %d, narrowed: Headers called %d times", iter, len(f.headerUIDs))
		}
	}
}
