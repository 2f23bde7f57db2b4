package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout: HDR-like logarithmic buckets with subCount linear
// sub-buckets per power of two. Values below 2*subCount are exact; above,
// a bucket spans at most 1/subCount of its lower bound, so a percentile
// reported as the bucket's midpoint is within 1/(2*subCount) ≈ 0.4% of a
// recorded value. Memory is fixed (numBuckets counters) whatever the
// number of samples, and histograms of several workers merge by addition.
const (
	subBits    = 7
	subCount   = 1 << subBits
	numBuckets = subCount*(64-subBits-1) + 2*subCount
)

// Histogram counts non-negative int64 samples (nanoseconds for latencies)
// in logarithmic buckets. The zero value is empty and ready to use; it is
// not safe for concurrent use.
type Histogram struct {
	counts   []uint64
	n        uint64
	min, max int64
	sum      float64
}

// bucketOf returns the bucket index of v ≥ 0.
func bucketOf(v int64) int {
	u := uint64(v)
	e := 0
	if l := bits.Len64(u); l > subBits+1 {
		e = l - (subBits + 1)
	}
	return subCount*e + int(u>>e)
}

// bucketRange returns the lowest value of bucket i and its width.
func bucketRange(i int) (lo, width int64) {
	if i < 2*subCount {
		return int64(i), 1
	}
	e := i/subCount - 1
	m := i - subCount*e
	return int64(m) << e, int64(1) << e
}

// Record adds one sample; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	if h.counts == nil {
		h.counts = make([]uint64, numBuckets)
	}
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if h.n == 0 || v > h.max {
		h.max = v
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
}

// RecordDuration adds one latency sample.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Merge adds all samples of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = make([]uint64, numBuckets)
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if h.n == 0 || o.max > h.max {
		h.max = o.max
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest sample, exactly (0 when empty).
func (h *Histogram) Max() int64 { return h.max }

// Min returns the smallest sample, exactly (0 when empty).
func (h *Histogram) Min() int64 { return h.min }

// Mean returns the arithmetic mean of the samples (0 when empty).
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Quantile returns the sample at quantile q in [0, 1] (nearest rank), to
// within the bucket precision; 0 when empty. Quantile(1) is the exact
// maximum and Quantile(0) the exact minimum.
func (h *Histogram) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	if q <= 0 || math.IsNaN(q) {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := bucketRange(i)
			v := lo + (w-1)/2
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}
