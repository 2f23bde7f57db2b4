package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBucketRoundTrip(t *testing.T) {
	// Every value falls in a bucket whose range contains it, buckets are
	// ordered, and their width stays within 1/subCount of the value.
	vals := []int64{0, 1, 2, 127, 128, 255, 256, 257, 511, 512, 1000, 1 << 20, 123456789, math.MaxInt64}
	for _, v := range vals {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d out of range", v, i)
		}
		lo, w := bucketRange(i)
		if v < lo || v-lo >= w {
			t.Errorf("value %d in bucket %d = [%d, %d)", v, i, lo, lo+w)
		}
		if v >= 2*subCount && float64(w) > float64(v)/subCount {
			t.Errorf("bucket of %d has width %d, over 1/%d", v, w, subCount)
		}
	}
	for i := 1; i < numBuckets-subCount; i++ {
		lo0, w0 := bucketRange(i - 1)
		lo1, _ := bucketRange(i)
		if lo0+w0 != lo1 {
			t.Fatalf("buckets %d and %d not contiguous: %d+%d != %d", i-1, i, lo0, w0, lo1)
		}
	}
}

// exactQuantile is the nearest-rank quantile of sorted.
func exactQuantile(sorted []int64, q float64) int64 {
	r := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(r, 1)-1]
}

func TestQuantilesWithinOnePercent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() int64{
		"uniform":     func() int64 { return 1 + r.Int64N(1_000_000) },
		"exponential": func() int64 { return int64(r.ExpFloat64() * 250_000) },
		"lognormal":   func() int64 { return int64(math.Exp(r.NormFloat64()*1.5 + 12)) },
		"small":       func() int64 { return r.Int64N(300) },
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			var h Histogram
			samples := make([]int64, 100_000)
			for i := range samples {
				samples[i] = gen()
				h.Record(samples[i])
			}
			slices.Sort(samples)
			for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999} {
				want := exactQuantile(samples, q)
				got := h.Quantile(q)
				if diff := math.Abs(float64(got - want)); diff > 0.01*float64(want) && diff > 1 {
					t.Errorf("q%.3f = %d, exact %d (off by %.2f%%)", q, got, want, 100*diff/float64(want))
				}
			}
			if h.Max() != samples[len(samples)-1] || h.Quantile(1) != h.Max() {
				t.Errorf("max = %d, want %d", h.Max(), samples[len(samples)-1])
			}
			if h.Min() != samples[0] || h.Quantile(0) != h.Min() {
				t.Errorf("min = %d, want %d", h.Min(), samples[0])
			}
			if h.Count() != uint64(len(samples)) {
				t.Errorf("count = %d", h.Count())
			}
		})
	}
}

func TestQuantileSmallExact(t *testing.T) {
	var h Histogram
	for _, v := range []int64{5, 1, 3, 2, 4} {
		h.Record(v)
	}
	tests := []struct {
		q    float64
		want int64
	}{{0.2, 1}, {0.4, 2}, {0.5, 3}, {0.6, 3}, {0.8, 4}, {0.99, 5}, {1, 5}}
	for _, tt := range tests {
		if got := h.Quantile(tt.q); got != tt.want {
			t.Errorf("Quantile(%v) = %d, want %d", tt.q, got, tt.want)
		}
	}
	if h.Mean() != 3 {
		t.Errorf("mean = %v, want 3", h.Mean())
	}
}

func TestHistogramEdgeCases(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 || h.Count() != 0 {
		t.Error("empty histogram is not all zero")
	}
	h.Record(-5) // counts as 0
	h.Record(math.MaxInt64)
	if h.Min() != 0 || h.Max() != math.MaxInt64 {
		t.Errorf("min, max = %d, %d", h.Min(), h.Max())
	}
	if got := h.Quantile(math.NaN()); got != 0 {
		t.Errorf("Quantile(NaN) = %d, want the minimum", got)
	}
	if got := h.Quantile(0.75); got < math.MaxInt64/2 {
		t.Errorf("Quantile(0.75) = %d, want near max", got)
	}
}

func TestMerge(t *testing.T) {
	var a, b, all Histogram
	for i := int64(1); i <= 1000; i++ {
		all.Record(i * 1000)
		if i%2 == 0 {
			a.Record(i * 1000)
		} else {
			b.Record(i * 1000)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{})
	for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.99, 1} {
		if m.Quantile(q) != all.Quantile(q) {
			t.Errorf("merged q%v = %d, want %d", q, m.Quantile(q), all.Quantile(q))
		}
	}
	if m.Count() != 1000 || m.Min() != 1000 || m.Max() != 1_000_000 || m.Mean() != all.Mean() {
		t.Errorf("merged count %d min %d max %d mean %v", m.Count(), m.Min(), m.Max(), m.Mean())
	}
}
