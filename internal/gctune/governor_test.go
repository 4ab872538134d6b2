package gctune

import (
	"context"
	"testing"
	"time"
)

func TestGovernor(t *testing.T) {
	const mb = 1 << 20
	type look struct {
		at     time.Duration
		cycles uint64
		live   uint64
		want   int
	}
	tests := []struct {
		name  string
		looks []look
		sets  []int
	}{
		{"steady traffic keeps the configured percent", []look{
			{0, 10, 100 * mb, 400}, {time.Second, 11, 101 * mb, 400}, {2 * time.Second, 12, 100 * mb, 400},
		}, []int{400}},
		{"a login storm collects at 100 until the heap is steady", []look{
			{0, 10, 20 * mb, 400},
			{time.Second, 11, 40 * mb, 100},      // grew by half
			{2 * time.Second, 11, 40 * mb, 100},  // no collection yet: no news
			{5 * time.Second, 14, 60 * mb, 100},  // still growing
			{14 * time.Second, 15, 61 * mb, 100}, // steady, but within the hold
			{16 * time.Second, 16, 61 * mb, 400}, // hold over
		}, []int{400, 100, 400}},
		{"small absolute growth is noise", []look{
			{0, 1, 2 * mb, 400}, {time.Second, 2, 2*mb + 900<<10, 400},
		}, []int{400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets []int
			i := 0
			g := &Governor{Percent: 400,
				Read: func() (uint64, uint64) { return tt.looks[i].cycles, tt.looks[i].live },
				Set:  func(p int) { sets = append(sets, p) }}
			start := time.Unix(1000, 0)
			for i = range tt.looks {
				if got := g.Check(start.Add(tt.looks[i].at)); got != tt.looks[i].want {
					t.Fatalf("look %d: percent %d, want %d", i, got, tt.looks[i].want)
				}
			}
			if len(sets) != len(tt.sets) {
				t.Fatalf("set %v, want %v", sets, tt.sets)
			}
			for k := range sets {
				if sets[k] != tt.sets[k] {
					t.Fatalf("set %v, want %v", sets, tt.sets)
				}
			}
		})
	}
}

func TestGovernorRunNothingToLower(t *testing.T) {
	for _, p := range []int{-1, 50, 100} {
		g := &Governor{Percent: p, Set: func(int) { t.Errorf("percent %d: governor set GOGC", p) }}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { g.Run(ctx); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("percent %d: Run did not return at once", p)
		}
		cancel()
	}
}
