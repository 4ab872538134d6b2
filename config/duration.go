package config

import (
	"fmt"
	"time"
)

// Duration is a length of time written in the configuration file as a
// string of numbers with units, such as "30s", "5m", "1h30m" or "250ms"
// (units: ns, us, ms, s, m, h). "0s" means zero. Negative durations are
// refused.
type Duration time.Duration

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the duration in Go's notation, such as "10s" or "5m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as a string such as "10s" or "5m0s".
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// UnmarshalText reads a duration string such as "30s" or "5m".
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q: write a number and a unit, such as \"30s\", \"5m\" or \"1h30m\"", text)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", text)
	}
	*d = Duration(v)
	return nil
}
