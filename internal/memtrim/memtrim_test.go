package memtrim

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name       string
		prev, cur  Stats
		wantTrimmd bool
	}{
		{"quiet with spare memory", Stats{Allocated: 1000 * mb, Live: 80 * mb, Held: 200 * mb},
			Stats{Allocated: 1001 * mb, Live: 80 * mb, Held: 200 * mb}, true},
		{"busy", Stats{Allocated: 1000 * mb, Live: 80 * mb, Held: 200 * mb},
			Stats{Allocated: 1100 * mb, Live: 80 * mb, Held: 200 * mb}, false},
		{"just under the quiet bound", Stats{Allocated: 1000 * mb, Live: 80 * mb, Held: 200 * mb},
			Stats{Allocated: 1010 * mb, Live: 80 * mb, Held: 200 * mb}, true},
		{"just over the quiet bound", Stats{Allocated: 1000 * mb, Live: 80 * mb, Held: 200 * mb},
			Stats{Allocated: 1010*mb + 1, Live: 80 * mb, Held: 200 * mb}, false},
		{"nothing worth returning", Stats{Allocated: 1000 * mb, Live: 80 * mb, Held: 90 * mb},
			Stats{Allocated: 1000 * mb, Live: 80 * mb, Held: 90 * mb}, false},
		{"small heap, under the floor", Stats{Allocated: 1000 * mb, Live: 2 * mb, Held: 9 * mb},
			Stats{Allocated: 1000 * mb, Live: 2 * mb, Held: 9 * mb}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reads := []Stats{tt.prev, tt.cur, tt.cur}
			freed := 0
			var spare uint64
			tr := Trimmer{
				Read:   func() Stats { s := reads[0]; reads = reads[1:]; return s },
				Free:   func() { freed++ },
				OnTrim: func(s uint64) { spare = s },
			}
			if tr.Check() {
				t.Fatal("trimmed on the first check, with nothing to compare")
			}
			got := tr.Check()
			if got != tt.wantTrimmd || (freed == 1) != tt.wantTrimmd {
				t.Fatalf("trimmed %v (free called %d times), want %v", got, freed, tt.wantTrimmd)
			}
			if got && spare != tt.cur.Held-tt.cur.Live {
				t.Fatalf("OnTrim told %d spare bytes, want %d", spare, tt.cur.Held-tt.cur.Live)
			}
		})
	}
}

// TestNoTrimOfWhatCannotBeReturned: after a trim that left fragmented spans
// behind, a quiet server is not collected again at every interval; it is
// once the heap has grown well past what the last trim kept.
func TestNoTrimOfWhatCannotBeReturned(t *testing.T) {
	const mb = 1 << 20
	reads := []Stats{
		{Allocated: 1000 * mb, Live: 80 * mb, Held: 240 * mb}, // first look
		{Allocated: 1001 * mb, Live: 80 * mb, Held: 240 * mb}, // quiet: trim
		{Allocated: 1001 * mb, Live: 80 * mb, Held: 200 * mb}, // after the trim: 120 MB stayed
		{Allocated: 1002 * mb, Live: 80 * mb, Held: 200 * mb}, // still quiet, nothing new
		{Allocated: 1003 * mb, Live: 80 * mb, Held: 200 * mb}, // still quiet, nothing new
		{Allocated: 1100 * mb, Live: 80 * mb, Held: 300 * mb}, // busy
		{Allocated: 1101 * mb, Live: 80 * mb, Held: 300 * mb}, // quiet, 100 MB new spare: trim
		{Allocated: 1101 * mb, Live: 80 * mb, Held: 200 * mb},
	}
	var trims []int
	i := 0
	tr := Trimmer{
		Read: func() Stats { s := reads[i]; i++; return s },
		Free: func() {},
	}
	for n := 0; i < len(reads); n++ {
		if tr.Check() {
			trims = append(trims, n)
		}
	}
	if len(trims) != 2 || trims[0] != 1 || trims[1] != 5 {
		t.Fatalf("trimmed at checks %v, want [1 5]", trims)
	}
}

// TestReadStats checks the runtime metrics exist under the names used.
func TestReadStats(t *testing.T) {
	keep := make([][]byte, 0, 64)
	for range 64 {
		keep = append(keep, make([]byte, 64<<10))
	}
	s := ReadStats()
	if s.Allocated < 4<<20 || s.Held == 0 {
		t.Fatalf("stats look unread: %+v", s)
	}
	_ = keep
}

func TestRunChecksUntilStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var checks atomic.Int32
	tr := Trimmer{Interval: time.Millisecond, Read: func() Stats { checks.Add(1); return Stats{} }, Free: func() {}}
	done := make(chan struct{})
	go func() { tr.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for checks.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d checks ran", checks.Load())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
