package mob

import (
	"math"
	"time"
)

// Pacer releases events at a steady rate from a start time: event i
// (counting from 0) is due at start + i/rate. It holds no clock of its own:
// every method takes the time, so a test can drive it with a simulated one.
// A Pacer is not safe for concurrent use.
//
// Events not taken when due stay due: a caller that falls behind gets them
// all at once on its next Take (up to the max it asks for), and Lag tells by
// how much it is behind, which is how a load generator notices that it, and
// not the server, is the bottleneck.
type Pacer struct {
	start    time.Time
	rate     float64 // events per second; +Inf releases everything at once
	limit    int64   // total events; ≤ 0 means no limit
	released int64
}

// NewPacer returns a pacer of rate events per second from start, releasing
// at most limit events (≤ 0: no limit). A rate ≤ 0 means unlimited.
func NewPacer(start time.Time, rate float64, limit int64) *Pacer {
	if rate <= 0 || math.IsNaN(rate) {
		rate = math.Inf(1)
	}
	return &Pacer{start: start, rate: rate, limit: limit}
}

// due returns the number of events due at now, before the limit.
func (p *Pacer) due(now time.Time) int64 {
	if math.IsInf(p.rate, 1) {
		return math.MaxInt64
	}
	el := now.Sub(p.start)
	if el < 0 {
		return 0
	}
	n := math.Floor(float64(el) * p.rate / 1e9)
	if n >= math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return int64(n) + 1
}

// Take marks as released, and returns the number of, the events due at now
// and not yet released, at most max (max ≤ 0: no cap).
func (p *Pacer) Take(now time.Time, max int) int {
	n := p.due(now)
	if p.limit > 0 && n > p.limit {
		n = p.limit
	}
	n -= p.released
	if n <= 0 {
		return 0
	}
	if max > 0 && n > int64(max) {
		n = int64(max)
	}
	p.released += n
	return int(n)
}

// Released returns the number of events taken so far.
func (p *Pacer) Released() int64 { return p.released }

// Done reports whether the limit has been released.
func (p *Pacer) Done() bool { return p.limit > 0 && p.released >= p.limit }

// DueAt returns the time event i is due.
func (p *Pacer) DueAt(i int64) time.Time {
	if math.IsInf(p.rate, 1) || i <= 0 {
		return p.start
	}
	// The float estimate, then nudged to the first nanosecond at which due
	// counts event i, so DueAt and Take always agree.
	t := p.start.Add(time.Duration(math.Ceil(float64(i) / p.rate * 1e9)))
	for p.due(t) <= i {
		t = t.Add(1)
	}
	for p.due(t.Add(-1)) > i {
		t = t.Add(-1)
	}
	return t
}

// Next returns when the next unreleased event is due: the time to sleep
// until. It may be in the past when the caller is behind.
func (p *Pacer) Next() time.Time { return p.DueAt(p.released) }

// Lag returns how late the oldest unreleased event is at now, or 0 when
// none is due.
func (p *Pacer) Lag(now time.Time) time.Duration {
	if p.Done() {
		return 0
	}
	if d := now.Sub(p.Next()); d > 0 {
		return d
	}
	return 0
}
