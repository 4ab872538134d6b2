package muc

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"mellium.im/xmpp/jid"
)

// Room creation policies (Config.RoomCreation).
const (
	CreateAnyone = "anyone" // any user who can reach the service
	CreateLocal  = "local"  // users of the domains this node serves
	CreateAdmins = "admins" // only the service admins
)

// Config is the [modules.muc] table.
type Config struct {
	// Domain is the service domain, with {host} replaced by each hosted
	// domain. Default "conference.{host}".
	Domain string `toml:"domain"`
	// Services overrides Domain for single hosts: hosted domain → service
	// domain. Default: none.
	Services map[string]string `toml:"services"`
	// RoomCreation says who may create rooms: "anyone", "local" (users of
	// a hosted domain) or "admins". Default "local".
	RoomCreation string `toml:"room_creation"`
	// Admins are bare JIDs that own every room of the service and may
	// always create rooms. Default: none.
	Admins []string `toml:"admins"`
	// MaxUsers is the largest muc#roomconfig_maxusers an owner may set,
	// and the default of new rooms. Default 5000.
	MaxUsers int `toml:"max_users"`
	// HistoryLength is the discussion history a new room keeps. Default 20.
	HistoryLength int `toml:"history_length"`
	// MaxHistory is the largest history length an owner may set. Default 100.
	MaxHistory int `toml:"max_history"`
	// DefaultPersistent makes new rooms persistent. Default false.
	DefaultPersistent bool `toml:"default_persistent"`
	// DefaultPublic lists new rooms in disco#items. Default true.
	DefaultPublic bool `toml:"default_public"`
	// DefaultWhois is who sees occupants' real JIDs in new rooms:
	// "moderators" (semi-anonymous) or "anyone". Default "moderators".
	DefaultWhois string `toml:"default_whois"`
	// StorageTimeout bounds each storage call. Default "5s".
	StorageTimeout time.Duration `toml:"storage_timeout"`
	// EnforceRegisteredNicks holds a user who registered a nick in a room
	// (XEP-0045 §7.10) to that nick: a join under another nick enters
	// under the registered one (status 210), and a change to another is
	// not-acceptable. Off, a registered nick is only reserved. Default true.
	EnforceRegisteredNicks bool `toml:"enforce_registered_nicks"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Domain:         "conference.{host}",
		RoomCreation:   CreateLocal,
		MaxUsers:       5000,
		HistoryLength:  20,
		MaxHistory:     100,
		DefaultPublic:  true,
		DefaultWhois:   whoisModerators,
		StorageTimeout: 5 * time.Second,

		EnforceRegisteredNicks: true,
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Domain == "" {
		errs = append(errs, errors.New("domain: must not be empty"))
	} else if _, err := jid.Parse(strings.ReplaceAll(c.Domain, "{host}", "example.org")); err != nil {
		errs = append(errs, fmt.Errorf("domain: %q is not a domain: %v", c.Domain, err))
	}
	for h, d := range c.Services {
		if _, err := jid.Parse(d); err != nil || d == "" {
			errs = append(errs, fmt.Errorf("services.%s: %q is not a domain", h, d))
		}
	}
	switch c.RoomCreation {
	case CreateAnyone, CreateLocal, CreateAdmins:
	default:
		errs = append(errs, fmt.Errorf("room_creation: %q is not one of anyone, local, admins", c.RoomCreation))
	}
	for _, a := range c.Admins {
		if j, err := jid.Parse(a); err != nil || j.Resourcepart() != "" {
			errs = append(errs, fmt.Errorf("admins: %q is not a bare JID", a))
		}
	}
	if c.MaxUsers < 1 {
		errs = append(errs, fmt.Errorf("max_users: %d must be at least 1", c.MaxUsers))
	}
	if c.MaxHistory < 0 || c.HistoryLength < 0 || c.HistoryLength > c.MaxHistory {
		errs = append(errs, fmt.Errorf("history_length: %d must be between 0 and max_history (%d)", c.HistoryLength, c.MaxHistory))
	}
	if c.DefaultWhois != whoisModerators && c.DefaultWhois != whoisAnyone {
		errs = append(errs, fmt.Errorf("default_whois: %q is not moderators or anyone", c.DefaultWhois))
	}
	if c.StorageTimeout <= 0 {
		errs = append(errs, fmt.Errorf("storage_timeout: %v must be positive", c.StorageTimeout))
	}
	return errors.Join(errs...)
}

// serviceFor returns the service domain of a hosted domain.
func (c Config) serviceFor(host string) string {
	if d, ok := c.Services[host]; ok {
		return strings.ToLower(d)
	}
	return strings.ToLower(strings.ReplaceAll(c.Domain, "{host}", host))
}
