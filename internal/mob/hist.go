package mob

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram geometry: values are nanoseconds. Below 2^histSubBits they are
// counted exactly; above, each power of two is split into 2^(histSubBits-1)
// buckets, so a bucket is at most 1/128 of its lower bound wide and the
// midpoint reported for it is within 0.4% of any value it holds. Values
// from histMax up are counted in the last bucket (max is still exact).
const (
	histSubBits = 8
	histSub     = 1 << histSubBits
	histHalf    = histSub / 2
	histMax     = int64(64 * time.Second)
)

var histBuckets = bucketIndex(uint64(histMax)) + 1

// Histogram records durations in a fixed array of log-linear buckets (HDR
// style): about 3,700 counters, 30 KiB, whatever the number of values, with
// under 1% error from 1 µs to 60 s. It is safe for concurrent use; Record
// takes no lock.
type Histogram struct {
	counts []atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Int64
	max    atomic.Int64
	min    atomic.Int64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram {
	h := &Histogram{counts: make([]atomic.Uint64, histBuckets)}
	h.min.Store(math.MaxInt64)
	return h
}

func bucketIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits // ≥ 1
	m := v >> e                      // in [histSub/2, histSub)
	return histSub + (e-1)*histHalf + int(m) - histHalf
}

// bucketRange returns the values [lo, hi) counted in bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < histSub {
		return uint64(i), uint64(i) + 1
	}
	e := (i-histSub)/histHalf + 1
	m := uint64((i-histSub)%histHalf + histHalf)
	return m << e, (m + 1) << e
}

// Record adds one duration; negative ones count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	i := bucketIndex(uint64(min(v, histMax)))
	h.counts[i].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	h.raise(v, v)
}

// raise widens [min, max] to hold lo and hi.
func (h *Histogram) raise(hi, lo int64) {
	for {
		m := h.max.Load()
		if hi <= m || h.max.CompareAndSwap(m, hi) {
			break
		}
	}
	for {
		m := h.min.Load()
		if lo >= m || h.min.CompareAndSwap(m, lo) {
			break
		}
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Min returns the smallest recorded value, exactly (0 when empty).
func (h *Histogram) Min() time.Duration {
	if h.n.Load() == 0 {
		return 0
	}
	return time.Duration(h.min.Load())
}

// Mean returns the average of the recorded values.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / int64(n))
}

// Quantile returns the value at quantile q (0 < q ≤ 1): the smallest
// recorded value v such that at least q of all values are ≤ v, to within
// the bucket precision, and never above Max or below Min. It is 0 when
// nothing was recorded. Concurrent Records may or may not be seen.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	if rank >= n {
		return h.Max()
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			if i == len(h.counts)-1 {
				return h.Max()
			}
			lo, hi := bucketRange(i)
			v := int64(lo + (hi-lo-1)/2)
			return time.Duration(min(max(v, h.min.Load()), h.max.Load()))
		}
	}
	return h.Max()
}

// Merge adds every value of o into h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	if o.n.Load() > 0 {
		h.raise(o.max.Load(), o.min.Load())
	}
}

// Summary is the digest of a histogram that reports print.
type Summary struct {
	Count uint64  `json:"count"`
	MinMS float64 `json:"min_ms"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	MaxMS float64 `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// Summary returns the count and the usual percentiles in milliseconds.
func (h *Histogram) Summary() Summary {
	return Summary{
		Count: h.Count(), MinMS: ms(h.Min()), Mean: ms(h.Mean()),
		P50: ms(h.Quantile(0.50)), P90: ms(h.Quantile(0.90)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), MaxMS: ms(h.Max()),
	}
}
