package private

import "fmt"

// Config is the [modules.private] table.
type Config struct {
	// MaxBytes is the most a user may store under one namespace, counted
	// as the serialized elements of that namespace in one set; more is
	// refused with not-acceptable. Minimum 1024. Default: 49152 (48 KiB).
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
