package version

import (
	"errors"
	"unicode/utf8"
)

// Config is the [modules.version] table.
type Config struct {
	// Version is the version reported to whoever asks; "" reports the
	// version this binary was built as (BuildVersion). Default: "".
	Version string `toml:"version"`
	// ShowOS adds the operating system and architecture to the answer.
	// Off by default: it tells an attacker what to aim at. Default: false.
	ShowOS bool `toml:"show_os"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config { return Config{} }

// Validate reports every invalid value, each error naming its key.
func (c Config) Validate() error {
	if !utf8.ValidString(c.Version) {
		return errors.New("version: must be UTF-8 text")
	}
	for _, r := range c.Version {
		if r < 0x20 || r == 0x7f {
			return errors.New("version: must not hold control characters")
		}
	}
	return nil
}
