package mob

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestMemAvailable(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		want       uint64
		ok         bool
	}{
		{"linux", "MemTotal:       24683720 kB\nMemFree:        24203376 kB\nMemAvailable:   24180800 kB\nBuffers: 1 kB\n", 24180800 << 10, true},
		{"missing", "MemTotal:       24683720 kB\n", 0, false},
		{"garbled", "MemAvailable:   lots kB\n", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			got, ok := memAvailable(p)
			if got != tc.want || ok != tc.ok {
				t.Errorf("memAvailable = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if _, ok := memAvailable(filepath.Join(dir, "absent")); ok {
		t.Error("memAvailable of a missing file reported ok")
	}
}

// TestGCHold checks that the hold turns the collector off under a limit and
// puts back exactly what was there, and that a run reports it.
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
