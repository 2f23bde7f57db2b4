package search

import "math/bits"

// A bitset holds one bit per sequence position (bit i is message i+1).
// Bits beyond the number of messages are always zero.
type bitset []uint64

// words returns how many uint64 words hold n bits.
func words(n int) int { return (n + 63) / 64 }

// pool recycles bitsets of one length during a single Eval so that a
// search over a million messages allocates a handful of 125 KB arrays,
// not one per node and per phase. It is not shared between Evals.
type pool struct {
	n    int // number of bits
	free []bitset
}

// get returns a zeroed bitset.
func (p *pool) get() bitset {
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free = p.free[:k-1]
		clear(b)
		return b
	}
	return make(bitset, words(p.n))
}

// put hands b back for reuse; b must not be used afterwards.
func (p *pool) put(b bitset) {
	if b != nil {
		p.free = append(p.free, b)
	}
}

// full returns a bitset with bits 0..n-1 set.
func (p *pool) full() bitset {
	b := p.get()
	b.setRange(0, p.n)
	return b
}

// has reports whether bit i is set.
func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// set sets bit i.
func (b bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

// setRange sets bits lo..hi-1.
func (b bitset) setRange(lo, hi int) {
	if lo >= hi {
		return
	}
	lw, hw := lo>>6, (hi-1)>>6
	lm := ^uint64(0) << (uint(lo) & 63)
	hm := ^uint64(0) >> (63 - (uint(hi-1) & 63))
	if lw == hw {
		b[lw] |= lm & hm
		return
	}
	b[lw] |= lm
	for w := lw + 1; w < hw; w++ {
		b[w] = ^uint64(0)
	}
	b[hw] |= hm
}

// and sets b to b ∧ o.
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}

// or sets b to b ∨ o.
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// andNot sets b to b ∧ ¬o.
func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}

// empty reports whether no bit is set.
func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// count returns the number of set bits.
func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// each calls fn with every set bit, ascending.
func (b bitset) each(fn func(i int)) {
	for wi, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(wi<<6 | t)
			w &= w - 1
		}
	}
}
