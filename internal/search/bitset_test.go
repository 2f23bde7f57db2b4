package search

import (
	"slices"
	"testing"
)

func TestBitsetSetRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, lo, hi int
	}{
		{10, 0, 0}, {10, 0, 10}, {10, 3, 4}, {64, 0, 64}, {65, 63, 65}, {200, 1, 199},
		{200, 64, 128}, {200, 5, 3}, {130, 0, 130}, {130, 127, 129},
	}
	for _, tt := range tests {
		p := pool{n: tt.n}
		b := p.get()
		b.setRange(tt.lo, tt.hi)
		var got, want []int
		b.each(func(i int) { got = append(got, i) })
		for i := tt.lo; i < tt.hi; i++ {
			want = append(want, i)
		}
		if !slices.Equal(got, want) {
			t.Errorf("setRange(%d,%d) over %d: got %v", tt.lo, tt.hi, tt.n, got)
		}
		if b.count() != len(want) {
			t.Errorf("count = %d, want %d", b.count(), len(want))
		}
		if b.empty() != (len(want) == 0) {
			t.Errorf("empty = %v with %d bits", b.empty(), len(want))
		}
	}
}

func TestBitsetOps(t *testing.T) {
	t.Parallel()
	p := pool{n: 130}
	a, b := p.get(), p.get()
	a.setRange(0, 70)
	b.setRange(60, 130)
	and, or, andNot := p.get(), p.get(), p.get()
	copy(and, a)
	and.and(b)
	copy(or, a)
	or.or(b)
	copy(andNot, a)
	andNot.andNot(b)
	if and.count() != 10 || !and.has(60) || !and.has(69) || and.has(70) {
		t.Errorf("and: %d bits", and.count())
	}
	if or.count() != 130 || !p.full().has(129) || p.full().count() != 130 {
		t.Errorf("or: %d bits", or.count())
	}
	if andNot.count() != 60 || andNot.has(60) {
		t.Errorf("andNot: %d bits", andNot.count())
	}
	// A recycled bitset comes back zeroed.
	p.put(or)
	if r := p.get(); !r.empty() {
		t.Error("recycled bitset not cleared")
	}
	var single bitset = make(bitset, 1)
	single.set(5)
	if !single.has(5) || single.has(4) {
		t.Error("set/has")
	}
}
