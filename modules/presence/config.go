package presence

import (
	"errors"
	"fmt"
	"time"
)

// Config is the [modules.presence] table.
type Config struct {
	// MaxDirected caps how many entities one session's directed presence
	// is tracked for (RFC 6121 §4.6); past it, further targets are not
	// told when the session goes unavailable. Default: 1000.
	MaxDirected int `toml:"max_directed"`
	// ReplyUnsubscribed answers a presence probe from an entity with no
	// subscription to the user's presence with presence of type
	// unsubscribed (RFC 6121 §4.3.2), which repairs a stale subscription
	// on the prober's side. When false such probes are ignored.
	// Default: true.
	ReplyUnsubscribed bool `toml:"reply_unsubscribed"`
	// StorageTimeout bounds each roster read. Default: "5s".
	StorageTimeout time.Duration `toml:"storage_timeout"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{MaxDirected: 1000, ReplyUnsubscribed: true, StorageTimeout: 5 * time.Second}
}

// Validate reports every out-of-range field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxDirected < 0 {
		errs = append(errs, fmt.Errorf("max_directed: must not be negative, got %d", c.MaxDirected))
	}
	if c.StorageTimeout <= 0 {
		errs = append(errs, fmt.Errorf("storage_timeout: must be positive, got %s", c.StorageTimeout))
	}
	return errors.Join(errs...)
}
