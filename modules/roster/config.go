package roster

import (
	"errors"
	"fmt"
	"time"
)

// Config is the [modules.roster] table.
type Config struct {
	// MaxItems caps a user's roster, counting the contacts whose
	// subscription requests wait for an answer (pending in). A roster set
	// that would add an item past it fails with resource-constraint, and an
	// inbound request from a contact not yet in a full roster is refused
	// the same way. Default: 1000.
	MaxItems int `toml:"max_items"`
	// MaxNameLength caps an item's name attribute, in bytes; a longer one
	// fails with not-acceptable (RFC 6121 §2.3.3). Default: 1024.
	MaxNameLength int `toml:"max_name_length"`
	// MaxGroupLength caps one group name, in bytes (not-acceptable).
	// Default: 1024.
	MaxGroupLength int `toml:"max_group_length"`
	// MaxGroups caps the groups of one item (not-acceptable). Default: 64.
	MaxGroups int `toml:"max_groups"`
	// Versioning offers XEP-0237 roster versioning: the rosterver stream
	// feature and 'ver' on results and pushes. Default: true.
	Versioning bool `toml:"versioning"`
	// StorageTimeout bounds each storage call. Default: "5s".
	StorageTimeout time.Duration `toml:"storage_timeout"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		MaxItems:       1000,
		MaxNameLength:  1024,
		MaxGroupLength: 1024,
		MaxGroups:      64,
		Versioning:     true,
		StorageTimeout: 5 * time.Second,
	}
}

// Validate reports every out-of-range field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxItems < 1 {
		errs = append(errs, fmt.Errorf("max_items: must be at least 1, got %d", c.MaxItems))
	}
	if c.MaxNameLength < 1 {
		errs = append(errs, fmt.Errorf("max_name_length: must be at least 1, got %d", c.MaxNameLength))
	}
	if c.MaxGroupLength < 1 {
		errs = append(errs, fmt.Errorf("max_group_length: must be at least 1, got %d", c.MaxGroupLength))
	}
	if c.MaxGroups < 0 {
		errs = append(errs, fmt.Errorf("max_groups: must not be negative, got %d", c.MaxGroups))
	}
	if c.StorageTimeout <= 0 {
		errs = append(errs, fmt.Errorf("storage_timeout: must be positive, got %s", c.StorageTimeout))
	}
	return errors.Join(errs...)
}
