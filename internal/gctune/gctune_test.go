package gctune

import (
	"runtime/debug"
	"testing"
)

func TestDecide(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name    string
		p       Policy
		env     map[string]string
		machine uint64
		want    Applied
	}{
		{"config", Policy{GCPercent: 400, MemoryLimit: 2 * gib}, nil, 24 * gib,
			Applied{GCPercent: 400, GCPercentFrom: "config", MemoryLimit: 2 * gib, MemoryLimitSrc: "config"}},
		{"auto limit", Policy{GCPercent: 400}, nil, 24 * gib,
			Applied{GCPercent: 400, GCPercentFrom: "config", MemoryLimit: 18 * gib, MemoryLimitSrc: "auto"}},
		{"auto, machine unknown", Policy{GCPercent: 400}, nil, 0,
			Applied{GCPercent: 400, GCPercentFrom: "config", MemoryLimit: -1, MemoryLimitSrc: "none"}},
		{"off", Policy{GCPercent: 100, MemoryLimit: -1}, nil, 24 * gib,
			Applied{GCPercent: 100, GCPercentFrom: "config", MemoryLimit: -1, MemoryLimitSrc: "none"}},
		{"environment wins", Policy{GCPercent: 400, MemoryLimit: 2 * gib}, map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}, 24 * gib,
			Applied{GCPercent: -2, GCPercentFrom: "GOGC", MemoryLimit: -2, MemoryLimitSrc: "GOMEMLIMIT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.p, Env{Getenv: func(k string) string { return tt.env[k] }, Machine: func() uint64 { return tt.machine }})
			if got != tt.want {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	oldGC := debug.SetGCPercent(100)
	oldLim := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(oldGC); debug.SetMemoryLimit(oldLim) })

	a := Apply(Policy{GCPercent: 321, MemoryLimit: 3 << 30})
	if a.GCPercent != 321 || debug.SetGCPercent(-1) != 321 {
		t.Errorf("GOGC in force = %d, want 321", a.GCPercent)
	}
	if a.MemoryLimit != 3<<30 || debug.SetMemoryLimit(-1) != 3<<30 {
		t.Errorf("memory limit in force = %d, want 3 GiB", a.MemoryLimit)
	}
}

func TestParsers(t *testing.T) {
	meminfo := []byte("MemTotal:       24598340 kB\nMemFree:        1000 kB\nMemAvailable:   24180800 kB\n")
	for _, tt := range []struct {
		key  string
		want uint64
	}{{"MemTotal", 24598340 << 10}, {"MemAvailable", 24180800 << 10}, {"MemFree", 1000 << 10}, {"Buffers", 0}} {
		if got := meminfoBytes(meminfo, tt.key); got != tt.want {
			t.Errorf("meminfoBytes(%s) = %d, want %d", tt.key, got, tt.want)
		}
	}
	if got := meminfoBytes([]byte("MemAvailable:   lots kB\n"), "MemAvailable"); got != 0 {
		t.Errorf("meminfoBytes of a garbled value = %d", got)
	}
	for _, tt := range []struct {
		in   string
		want uint64
	}{{"max\n", 0}, {"1073741824\n", 1 << 30}, {"", 0}, {"junk", 0}} {
		if got := cgroupLimit([]byte(tt.in)); got != tt.want {
			t.Errorf("cgroupLimit(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if got := meminfoBytes([]byte("nothing here"), "MemTotal"); got != 0 {
		t.Errorf("meminfoBytes of junk = %d", got)
	}
}
