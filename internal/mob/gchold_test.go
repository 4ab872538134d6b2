package mob

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestGCHold checks that the hold turns the collector off under a limit and
// puts back exactly what was there.
func TestGCHold(t *testing.T) {
	prevPct := debug.SetGCPercent(137)
	prevLim := debug.SetMemoryLimit(5 << 30)
	t.Cleanup(func() { debug.SetGCPercent(prevPct); debug.SetMemoryLimit(prevLim) })

	if holdGC(0) != nil {
		t.Fatal("holdGC(0) held the collector")
	}
	h := holdGC(64 << 20)
	if pct := debug.SetGCPercent(-1); pct != -1 {
		t.Errorf("GOGC during the hold = %d, want -1 (off)", pct)
	}
	lim := debug.SetMemoryLimit(-1) // -1 reads without changing
	total := readUint("/memory/classes/total:bytes")
	if lim < 64<<20 || lim > int64(total)+64<<20 || lim == math.MaxInt64 {
		t.Errorf("memory limit during the hold = %d, want about %d + 64 MiB", lim, total)
	}
	// The collector still runs when the limit is passed: allocate beyond it.
	before := gcCycles()
	var keep [][]byte
	for range 12 {
		keep = append(keep, make([]byte, 16<<20))
	}
	runtime.KeepAlive(keep)
	keep = nil
	if gcCycles() == before {
		t.Error("no collection past the hold's memory limit")
	}
	h.release()
	h.release() // the second call must not undo anything
	if pct := debug.SetGCPercent(137); pct != 137 {
		t.Errorf("GOGC after release = %d, want 137", pct)
	}
	if lim := debug.SetMemoryLimit(-1); lim != 5<<30 {
		t.Errorf("memory limit after release = %d, want %d", lim, int64(5<<30))
	}
	var none *gcHold
	none.release() // a run that held nothing releases nothing
}

func TestGCHeadroom(t *testing.T) {
	h := gcHeadroom()
	if h == 0 || h > 4<<30 {
		t.Errorf("gcHeadroom = %d, want in (0, 4 GiB]", h)
	}
}
