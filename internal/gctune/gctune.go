// Package gctune sets the Go collector's policy for a server process: its
// GOGC and its soft memory limit.
//
// Go's default GOGC=100 lets the heap reach twice its live size before the
// next collection. A chat server holding tens of thousands of sessions has
// a large live heap (sessions, rooms, TLS state) and allocates quickly while
// it fans messages out, so at GOGC=100 it collects every few seconds, and
// on one core each cycle's marking takes its share of the CPU just when
// messages queue: it shows as a tail in delivery latency. A higher GOGC
// trades memory under load for fewer cycles. The soft memory limit bounds
// that trade: as the heap nears it, the runtime collects as often as it
// must. Idle memory is not affected: internal/memtrim returns spare memory
// when the server is quiet.
package gctune

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Policy is what the configuration asks for.
type Policy struct {
	// GCPercent is GOGC; -1 turns proportional collection off, leaving only
	// the memory limit.
	GCPercent int
	// MemoryLimit in bytes; 0 derives it from the machine (AutoFraction of
	// its memory); negative sets none.
	MemoryLimit int64
}

// AutoFraction of the machine's memory is the automatic limit: what is left
// serves the kernel's socket buffers, page cache and the stacks and
// buffers the runtime does not count.
const AutoFraction = 0.75

// Env gives the process environment; Machine gives the memory available to
// the process. Both are parameters so that tests need not change either.
type Env struct {
	Getenv  func(string) string
	Machine func() uint64 // bytes; 0 when unknown
}

// Applied is what Apply set, for the start-up log.
type Applied struct {
	GCPercent      int
	GCPercentFrom  string // "config" or "GOGC"
	MemoryLimit    int64  // bytes; math.MaxInt64 when none
	MemoryLimitSrc string // "config", "auto", "GOMEMLIMIT" or "none"
}

// Decide works out the settings without applying them. An environment
// variable the operator set wins over the configuration, as with any Go
// program; the runtime has already applied it.
func Decide(p Policy, env Env) Applied {
	var a Applied
	if env.Getenv("GOGC") != "" {
		a.GCPercentFrom = "GOGC"
		a.GCPercent = -2 // unchanged
	} else {
		a.GCPercentFrom = "config"
		a.GCPercent = p.GCPercent
	}
	switch {
	case env.Getenv("GOMEMLIMIT") != "":
		a.MemoryLimitSrc = "GOMEMLIMIT"
		a.MemoryLimit = -2 // unchanged
	case p.MemoryLimit > 0:
		a.MemoryLimitSrc = "config"
		a.MemoryLimit = p.MemoryLimit
	case p.MemoryLimit == 0:
		if m := env.Machine(); m > 0 {
			a.MemoryLimitSrc = "auto"
			a.MemoryLimit = int64(float64(m) * AutoFraction)
			break
		}
		fallthrough
	default:
		a.MemoryLimitSrc = "none"
		a.MemoryLimit = -1
	}
	return a
}

// Apply decides and sets the runtime's GOGC and memory limit, and returns
// the values in force afterwards.
func Apply(p Policy) Applied {
	a := Decide(p, Env{Getenv: os.Getenv, Machine: MachineMemory})
	if a.GCPercent != -2 {
		debug.SetGCPercent(a.GCPercent)
	}
	if a.MemoryLimit > 0 {
		debug.SetMemoryLimit(a.MemoryLimit)
	}
	// Report what is in force, whoever set it.
	a.GCPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(a.GCPercent)
	a.MemoryLimit = debug.SetMemoryLimit(-1)
	return a
}

// MachineMemory is the memory this process may use: the smaller of the
// machine's physical memory and its cgroup's limit, 0 when neither can be
// read.
func MachineMemory() uint64 {
	total := meminfoBytes(readFile("/proc/meminfo"), "MemTotal")
	if lim := cgroupLimit(readFile("/sys/fs/cgroup/memory.max")); lim > 0 && (total == 0 || lim < total) {
		return lim
	}
	return total
}

// AvailableMemory is the kernel's estimate of the memory that can be
// allocated now without swapping (MemAvailable), 0 when it cannot be read.
func AvailableMemory() uint64 {
	return meminfoBytes(readFile("/proc/meminfo"), "MemAvailable")
}

func readFile(name string) []byte {
	b, _ := os.ReadFile(name)
	return b
}

// meminfoBytes reads the field key (in kB) of /proc/meminfo's text, in
// bytes; 0 when it is missing or unreadable.
func meminfoBytes(meminfo []byte, key string) uint64 {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), key+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		kib, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kib << 10
	}
	return 0
}

// cgroupLimit reads a cgroup v2 memory.max: a byte count, or "max" for none.
func cgroupLimit(b []byte) uint64 {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "max" {
		return 0
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0
	}
	return v
}
