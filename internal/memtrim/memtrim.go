// Package memtrim hands the memory of a quiet server back to the operating
// system.
//
// Go's collector lets the heap grow to twice its live size before it
// collects (GOGC=100), and the pages freed stay mapped until the background
// scavenger slowly returns them. A chat server's busiest moment for garbage
// is a login storm (TLS handshakes, SASL), after which thousands of sessions
// sit idle: the process keeps the storm's peak as resident memory, about
// twice what the idle sessions need. The Erlang servers solve the same
// problem by hibernating idle processes, which collects their heaps.
//
// A Trimmer checks at an interval how much the program allocated since the
// last check. When that is small next to the live heap (the server is
// quiet) and the heap holds much more free memory than a collection cycle
// needs, it runs one collection and returns the free pages
// (debug.FreeOSMemory). A busy server is never trimmed: there the collector's
// own pacing is right, and a forced collection would only cost CPU.
package memtrim

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Stats is what a Trimmer decides on, read from runtime/metrics.
type Stats struct {
	Allocated uint64 // bytes allocated since the program started
	Live      uint64 // heap bytes live after the last collection
	Held      uint64 // heap bytes held from the OS: objects (live or garbage), free and unused space
}

// spare is what a collection and scavenge could give back, given that
// kept bytes stayed after the last one.
func (s Stats) spare(kept uint64) uint64 {
	floor := max(s.Live, kept)
	return s.Held - min(s.Held, floor)
}

// Trimmer returns idle memory to the OS; see the package doc.
type Trimmer struct {
	// Interval between checks; the server must have been quiet for a whole
	// interval before memory is returned.
	Interval time.Duration
	// Read returns the current stats (ReadStats when nil).
	Read func() Stats
	// Free collects and returns free memory (debug.FreeOSMemory when nil).
	Free func()
	// OnTrim, if set, is told the spare bytes (held beyond the live heap)
	// before each trim.
	OnTrim func(spare uint64)

	last Stats
	seen bool
	// kept is what the heap held right after the last trim: memory a
	// collection could not give back (live objects and the free slots of
	// spans they keep, the fragmentation a login storm leaves). Counting
	// it as spare would collect a quiet server again at every interval for
	// nothing.
	kept uint64
}

// quietShift sets how much may be allocated in one interval for the server
// to count as quiet: the live heap shifted right by it (1/8).
const quietShift = 3

// minSpare is the smallest amount of spare memory worth a forced collection.
const minSpare = 8 << 20

// Check reads the stats once and trims if the server was quiet since the
// previous Check. It reports whether it trimmed.
func (t *Trimmer) Check() bool {
	read := t.Read
	if read == nil {
		read = ReadStats
	}
	st := read()
	prev, seen := t.last, t.seen
	t.last, t.seen = st, true
	if !seen || st.Allocated < prev.Allocated {
		return false
	}
	allocated := st.Allocated - prev.Allocated
	if allocated > st.Live>>quietShift {
		return false // busy: the collector's own pacing is right
	}
	spare := st.spare(t.kept)
	if spare < minSpare || spare < st.Live/4 {
		return false // little to give back
	}
	free := t.Free
	if free == nil {
		free = debug.FreeOSMemory
	}
	free()
	if t.OnTrim != nil {
		t.OnTrim(spare)
	}
	t.last = read() // the forced collection's own work does not count as traffic
	t.kept = t.last.Held
	return true
}

// Run checks every Interval until ctx ends. A zero Interval returns at once.
func (t *Trimmer) Run(ctx context.Context) {
	if t.Interval <= 0 {
		return
	}
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	t.Check()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			t.Check()
		}
	}
}

var statNames = [...]string{
	"/gc/heap/allocs:bytes",
	"/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/unused:bytes",
}

// ReadStats reads Stats from runtime/metrics.
func ReadStats() Stats {
	var s [len(statNames)]metrics.Sample
	for i, n := range statNames {
		s[i].Name = n
	}
	metrics.Read(s[:])
	val := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	return Stats{Allocated: val(0), Live: val(1), Held: val(2) + val(3) + val(4)}
}
