package mob

import (
	"runtime/debug"
	"runtime/metrics"

	"github.com/meerkat-xmpp/meerkat/internal/gctune"
)

// gcHold keeps mob's own garbage collector out of the timed window.
//
// mob stamps a message when it sends it and reads the clock again when a
// session reads it back, so anything that stops mob's goroutines in between
// is counted as the server's latency. With thousands of sessions mob's live
// heap is a few hundred MB, and on the one core a benchmark gives it a
// collection's mark phase holds the readers back for 100–200 ms, which
// showed up as the p99 of seed-muc-many (timelines of every delivery put
// the worst seconds on mob's collections, not the server's). The window is
// seconds long and allocates far less than the machine has, so mob turns
// its collector off for it, under a soft memory limit that still collects
// if the window allocates more than the headroom.
type gcHold struct {
	percent int   // GOGC before the hold
	limit   int64 // memory limit before the hold
	on      bool
}

// holdGC turns the collector off with headroom bytes of memory on top of
// what the heap holds now. It returns nil (nothing held) for headroom 0.
func holdGC(headroom uint64) *gcHold {
	if headroom == 0 {
		return nil
	}
	h := &gcHold{on: true}
	// The limit counts everything the runtime has mapped, so the headroom
	// goes on top of that total, not the live heap.
	h.limit = debug.SetMemoryLimit(int64(min(readUint("/memory/classes/total:bytes")+headroom, 1<<62)))
	h.percent = debug.SetGCPercent(-1)
	return h
}

// release puts the collector back as it was. Only the first call acts;
// a nil hold does nothing.
func (h *gcHold) release() {
	if h == nil || !h.on {
		return
	}
	h.on = false
	debug.SetGCPercent(h.percent)
	debug.SetMemoryLimit(h.limit)
}

// gcCycles is the number of collections the program has completed.
func gcCycles() uint64 { return readUint("/gc/cycles/total:gc-cycles") }

// readUint reads one runtime metric of kind uint64 (0 if it is not one).
func readUint(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// gcHeadroom is how much mob lets the timed window allocate without a
// collection: a quarter of the memory available now, at most 4 GiB; 1 GiB
// where that cannot be read.
func gcHeadroom() uint64 {
	const most = 4 << 30
	avail := gctune.AvailableMemory()
	if avail == 0 {
		return 1 << 30
	}
	return min(avail/4, most)
}
