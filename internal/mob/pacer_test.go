package mob

import (
	"testing"
	"time"
)

func TestPacerExactCounts(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name  string
		rate  float64
		limit int64
		at    time.Duration
		want  int64 // released in total when taken at every step up to at
	}{
		{"start releases event 0", 100, 0, 0, 1},
		{"one second at 100/s", 100, 0, time.Second, 101},
		{"just before the 101st", 100, 0, time.Second - time.Nanosecond, 100},
		{"fractional rate", 0.6, 0, 10 * time.Second, 7},
		{"limit caps", 1000, 50, time.Minute, 50},
		{"high rate for an hour", 50000, 0, time.Hour, 50000*3600 + 1},
		{"third of a second at 3/s", 3, 0, time.Second / 3, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, step := range []time.Duration{time.Millisecond, 7 * time.Millisecond, time.Hour} {
				p := NewPacer(t0, tc.rate, tc.limit)
				var total int64
				for el := time.Duration(0); ; el += step {
					if el > tc.at {
						el = tc.at
					}
					total += int64(p.Take(t0.Add(el), 0))
					if el == tc.at {
						break
					}
				}
				if total != tc.want || p.Released() != tc.want {
					t.Errorf("step %v: released %d (Released %d), want %d", step, total, p.Released(), tc.want)
				}
			}
		})
	}
}

func TestPacerMaxLagAndNext(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := NewPacer(t0, 1000, 0) // one per millisecond
	if got := p.Take(t0.Add(-time.Second), 0); got != 0 {
		t.Fatalf("before start: %d", got)
	}
	if got := p.Take(t0, 0); got != 1 {
		t.Fatalf("at start: %d", got)
	}
	if next := p.Next(); !next.Equal(t0.Add(time.Millisecond)) {
		t.Fatalf("next %v", next.Sub(t0))
	}
	// 100 ms late: 100 events due, taken 30 at a time.
	now := t0.Add(100 * time.Millisecond)
	if lag := p.Lag(now); lag != 99*time.Millisecond {
		t.Fatalf("lag %v", lag)
	}
	var got int
	for i := 0; i < 3; i++ {
		got += p.Take(now, 30)
	}
	if got != 90 || p.Released() != 91 {
		t.Fatalf("took %d, released %d", got, p.Released())
	}
	if got := p.Take(now, 30); got != 10 {
		t.Fatalf("remainder %d", got)
	}
	if p.Lag(now) != 0 || p.Take(now, 0) != 0 {
		t.Fatal("caught up but still due")
	}
	// Next is exactly when Take starts releasing again.
	next := p.Next()
	if p.Take(next.Add(-time.Nanosecond), 0) != 0 || p.Take(next, 0) != 1 {
		t.Fatal("Next disagrees with Take")
	}
}

func TestPacerUnlimitedRate(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := NewPacer(t0, 0, 500)
	if got := p.Take(t0, 200); got != 200 {
		t.Fatalf("got %d", got)
	}
	if got := p.Take(t0, 0); got != 300 || !p.Done() {
		t.Fatalf("got %d, done %v", got, p.Done())
	}
	if p.Take(t0.Add(time.Hour), 0) != 0 {
		t.Fatal("released past the limit")
	}
}

func TestPacerNextMatchesTakeForOddRates(t *testing.T) {
	t0 := time.Unix(5, 123)
	for _, rate := range []float64{0.6, 3, 7, 333.3, 1000, 12345.6} {
		p := NewPacer(t0, rate, 0)
		for i := 0; i < 2000; i++ {
			next := p.Next()
			if p.Take(next.Add(-time.Nanosecond), 0) != 0 && i > 0 {
				t.Fatalf("rate %v event %d released before Next", rate, i)
			}
			if p.Take(next, 1) != 1 {
				t.Fatalf("rate %v event %d not released at Next (%v)", rate, i, next.Sub(t0))
			}
		}
	}
}
