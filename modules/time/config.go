package entitytime

// Config is the [modules.time] table. The module has no settings: it
// reports the server's clock in the server's local time zone.
type Config struct{}

// DefaultConfig returns the (empty) defaults.
func DefaultConfig() Config { return Config{} }

// Validate reports invalid values; there are none to have.
func (c Config) Validate() error { return nil }
