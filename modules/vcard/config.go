package vcard

import "fmt"

// Config is the [modules.vcard] table.
type Config struct {
	// MaxBytes is the largest vCard a user may store, counted as the
	// serialized <vCard/> element; a larger one is refused with
	// not-acceptable. It stays below the usual 64 KiB stanza limit so that
	// a stored vCard, avatar included, still fits in the reply to anyone
	// who asks, here or on another server. Minimum 1024. Default: 49152
	// (48 KiB).
	MaxBytes int `toml:"max_bytes"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config { return Config{MaxBytes: 48 << 10} }

// Validate reports every invalid value, each error naming its key.
func (c Config) Validate() error {
	if c.MaxBytes < 1024 {
		return fmt.Errorf("max_bytes: must be at least 1024, got %d", c.MaxBytes)
	}
	return nil
}
