package config

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
)

// MemoryLimit is the soft memory limit of the Go runtime, written as "auto",
// "off" or a size such as "2GiB", "512MiB" or "1.5GB". The zero value is
// "auto".
type MemoryLimit int64

// MemoryLimitOff is the value of "off": no limit beyond the machine's.
const MemoryLimitOff MemoryLimit = -1

// minMemoryLimit keeps a typo such as "64KB" from making the collector run
// without pause.
const minMemoryLimit = 32 << 20

// Auto reports whether the limit is derived from the machine.
func (m MemoryLimit) Auto() bool { return m == 0 }

// String returns the limit as the configuration file writes it.
func (m MemoryLimit) String() string {
	switch {
	case m == 0:
		return "auto"
	case m < 0:
		return "off"
	}
	return humanize.IBytes(uint64(m))
}

// MarshalText writes the limit as String does.
func (m MemoryLimit) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads "auto", "off" or a size with a unit.
func (m *MemoryLimit) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	switch strings.ToLower(s) {
	case "auto", "":
		*m = 0
		return nil
	case "off":
		*m = MemoryLimitOff
		return nil
	}
	v, err := humanize.ParseBytes(s)
	if err != nil {
		return fmt.Errorf("invalid memory limit %q: write \"auto\", \"off\" or a size such as \"2GiB\" or \"512MiB\"", text)
	}
	if v < minMemoryLimit {
		return fmt.Errorf("invalid memory limit %q: must be at least 32MiB", text)
	}
	*m = MemoryLimit(v)
	return nil
}
