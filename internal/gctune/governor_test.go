package gctune

import (
	"context"
	"testing"
	"time"
)

func TestGovernor(t *testing.T) {
	const mb = 1 << 20
	type look struct {
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
			{10, 100 * mb, 400}, {11, 101 * mb, 400}, {12, 100 * mb, 400}, {13, 105 * mb, 400},
		}, []int{400}},
		{"a login storm collects at 100 until a collection finds the heap steady", []look{
			{10, 20 * mb, 400},
			{11, 40 * mb, 100}, // grew by half
			{11, 40 * mb, 100}, // no collection yet: no news
			{14, 60 * mb, 100}, // still growing
			{15, 61 * mb, 400}, // steady
			{16, 80 * mb, 100}, // a wave of joins
			{17, 82 * mb, 400},
		}, []int{400, 100, 400, 100, 400}},
		{"small absolute growth is noise", []look{
			{1, 2 * mb, 400}, {2, 2*mb + 900<<10, 400},
		}, []int{400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets []int
			i := 0
			g := &Governor{Percent: 400,
				Read: func() (uint64, uint64) { return tt.looks[i].cycles, tt.looks[i].live },
				Set:  func(p int) { sets = append(sets, p) }}
			for i = range tt.looks {
				if got := g.Check(); got != tt.looks[i].want {
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
