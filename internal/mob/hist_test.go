package mob

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func TestHistogramQuantilesMatchSortedReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() time.Duration{
		"uniform 0-10ms": func() time.Duration { return time.Duration(rng.Int64N(int64(10 * time.Millisecond))) },
		"lognormal":      func() time.Duration { return time.Duration(math.Exp(rng.NormFloat64()*2 + 12)) },
		"bimodal": func() time.Duration {
			if rng.IntN(100) < 3 {
				return time.Duration(rng.Int64N(int64(2*time.Second))) + time.Second
			}
			return time.Duration(rng.Int64N(int64(time.Millisecond))) + 50*time.Microsecond
		},
		"tiny ns": func() time.Duration { return time.Duration(rng.IntN(300)) },
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			h := NewHistogram()
			ref := make([]time.Duration, 100_000)
			for i := range ref {
				ref[i] = gen()
				h.Record(ref[i])
			}
			slices.Sort(ref)
			for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
				want := ref[max(int(math.Ceil(q*float64(len(ref))))-1, 0)]
				got := h.Quantile(q)
				tol := math.Max(float64(want)*0.01, 1)
				if math.Abs(float64(got-want)) > tol {
					t.Errorf("q%v = %v, reference %v", q, got, want)
				}
			}
			if h.Max() != ref[len(ref)-1] || h.Min() != ref[0] || h.Count() != uint64(len(ref)) {
				t.Errorf("max %v min %v count %d", h.Max(), h.Min(), h.Count())
			}
			s := h.Summary()
			if !(s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.P999 && s.P999 <= s.MaxMS) {
				t.Errorf("percentiles out of order: %+v", s)
			}
		})
	}
}

func TestHistogramBoundedMemory(t *testing.T) {
	h := NewHistogram()
	size := len(h.counts) * int(unsafe.Sizeof(h.counts[0]))
	if size > 32<<10 {
		t.Fatalf("histogram holds %d bytes of buckets", size)
	}
	var ms0, ms1 runtimeMem
	ms0.read()
	for i := 0; i < 1_000_000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	h.Record(time.Hour) // beyond the range: counted, max exact
	ms1.read()
	if ms1.allocs-ms0.allocs > 100 {
		t.Errorf("recording allocated %d times", ms1.allocs-ms0.allocs)
	}
	if h.Max() != time.Hour || h.Quantile(1) != time.Hour {
		t.Errorf("max %v q1 %v", h.Max(), h.Quantile(1))
	}
}

func TestHistogramBucketsContiguous(t *testing.T) {
	prevHi := uint64(0)
	for i := 0; i < histBuckets; i++ {
		lo, hi := bucketRange(i)
		if lo != prevHi || hi <= lo {
			t.Fatalf("bucket %d = [%d,%d), previous ended at %d", i, lo, hi, prevHi)
		}
		if bucketIndex(lo) != i || bucketIndex(hi-1) != i {
			t.Fatalf("bucket %d: index(lo)=%d index(hi-1)=%d", i, bucketIndex(lo), bucketIndex(hi-1))
		}
		if lo >= histSub && float64(hi-lo)/float64(lo) > 1.0/128+1e-12 {
			t.Fatalf("bucket %d too wide", i)
		}
		prevHi = hi
	}
}

func TestHistogramConcurrentAndMerge(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 1000; i++ {
				a.Record(time.Duration(i) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	b.Record(5 * time.Second)
	b.Merge(a)
	if b.Count() != 8001 || b.Max() != 5*time.Second || b.Min() != time.Millisecond {
		t.Fatalf("count %d max %v min %v", b.Count(), b.Max(), b.Min())
	}
	if p := a.Quantile(0.5); math.Abs(float64(p-500*time.Millisecond)) > 5e6 {
		t.Fatalf("p50 %v", p)
	}
}
