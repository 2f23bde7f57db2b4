package imap

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// RFC 9051 §9: sequence-set = (seq-number / seq-range) ["," sequence-set];
// seq-number = nz-number / "*"; "*" is the largest number in use. For a
// uid-set, "*" is the largest UID in use, and "n:*" with n greater than that
// UID still matches it (RFC 9051 §6.4.8). The helpers below resolve "*" with
// a caller-supplied max and never iterate past it.

// bounds returns the range as lo <= hi with "*" (0) resolved to max.
func (r SeqRange) bounds(max uint32) (lo, hi uint32) {
	lo, hi = r.Start, r.Stop
	if lo == 0 {
		lo = max
	}
	if hi == 0 {
		hi = max
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi
}

// Contains reports whether n is in the set, with "*" standing for max (the
// largest sequence number or UID in use). n == 0 is never contained, and a
// saved set ("$") contains nothing: resolve it first.
func (s SeqSet) Contains(n, max uint32) bool {
	if n == 0 {
		return false
	}
	for _, r := range s.Ranges {
		lo, hi := r.bounds(max)
		if lo <= n && n <= hi {
			return true
		}
	}
	return false
}

// Normalize returns the set's ranges with "*" resolved to max, clamped to
// 1..max, sorted and merged: the result has no zero, no overlap and
// Start <= Stop in each range. With max == 0 (an empty mailbox) the result is
// empty. A saved set ("$") gives an empty result.
func (s SeqSet) Normalize(max uint32) []SeqRange {
	var out []SeqRange
	for _, r := range s.Ranges {
		lo, hi := r.bounds(max)
		if hi > max {
			hi = max
		}
		if lo == 0 {
			lo = 1
		}
		if lo > hi {
			continue
		}
		out = append(out, SeqRange{lo, hi})
	}
	slices.SortFunc(out, func(a, b SeqRange) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && uint64(r.Start) <= uint64(merged[n-1].Stop)+1 {
			if r.Stop > merged[n-1].Stop {
				merged[n-1].Stop = r.Stop
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// Expand calls fn for each number of the set in 1..max, in ascending order and
// once each, with "*" standing for max; it stops when fn returns false. The
// work is bounded by max, so "1:*" on an empty mailbox calls fn zero times.
// For UID sets prefer Contains over the mailbox's UID list: max is then the
// largest UID, which may be far larger than the number of messages.
func (s SeqSet) Expand(max uint32, fn func(n uint32) bool) {
	for _, r := range s.Normalize(max) {
		for n := r.Start; ; n++ {
			if !fn(n) {
				return
			}
			if n == r.Stop {
				break
			}
		}
	}
}

// String formats the set in RFC 9051 §9 syntax: "1:3,5,7:*", or "$".
func (s SeqSet) String() string {
	if s.Saved {
		return "$"
	}
	var b strings.Builder
	for i, r := range s.Ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		writeSeqNum(&b, r.Start)
		if r.Stop != r.Start {
			b.WriteByte(':')
			writeSeqNum(&b, r.Stop)
		}
	}
	return b.String()
}

func writeSeqNum(b *strings.Builder, n uint32) {
	if n == 0 {
		b.WriteByte('*')
		return
	}
	b.WriteString(strconv.FormatUint(uint64(n), 10))
}

// SeqSetFromNums builds a compact set from numbers in any order: sorted,
// deduplicated and merged into ranges ([3 1 2 7] → "1:3,7"). Zeros are
// ignored. It serves APPENDUID, COPYUID and ESEARCH ALL (RFC 4315, RFC 4731).
func SeqSetFromNums(nums []uint32) SeqSet {
	sorted := slices.Clone(nums)
	slices.Sort(sorted)
	var s SeqSet
	for _, n := range sorted {
		if n == 0 {
			continue
		}
		if k := len(s.Ranges); k > 0 {
			last := &s.Ranges[k-1]
			if n == last.Stop || n == last.Stop+1 {
				last.Stop = n
				continue
			}
		}
		s.Ranges = append(s.Ranges, SeqRange{n, n})
	}
	return s
}

// ParseSeqSet parses RFC 9051 §9 sequence-set syntax, including "$"
// (RFC 5182). Numbers are 1..4294967295; "*" is stored as 0.
func ParseSeqSet(s string) (SeqSet, error) {
	if s == "$" {
		return SeqSet{Saved: true}, nil
	}
	if s == "" {
		return SeqSet{}, errors.New("empty sequence set")
	}
	var set SeqSet
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, ":")
		start, err := parseSeqNum(a)
		if err != nil {
			return SeqSet{}, err
		}
		stop := start
		if isRange {
			if stop, err = parseSeqNum(b); err != nil {
				return SeqSet{}, err
			}
		}
		set.Ranges = append(set.Ranges, SeqRange{start, stop})
	}
	return set, nil
}

func parseSeqNum(s string) (uint32, error) {
	if s == "*" {
		return 0, nil
	}
	if s == "" {
		return 0, errors.New("missing number in sequence set")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("invalid character %q in sequence set", s[i])
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("sequence number %.20s out of range (1..4294967295)", s)
	}
	if n == 0 {
		return 0, errors.New("sequence number 0 is not allowed (numbers start at 1)")
	}
	return uint32(n), nil
}
