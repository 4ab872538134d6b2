// Package register implements XEP-0077 (In-Band Registration) for the
// server's own accounts: creating an account before authentication,
// changing its password, and cancelling it.
//
// The module is off unless a [modules.register] table is configured. With
// it, a client that finished STARTTLS (c2s accepts pre-authentication IQs
// only over TLS, or on a plain listener behind a TLS proxy) sees the
// <register xmlns='http://jabber.org/features/iq-register'/> stream feature
// and may create an account; once logged in, a user may change their
// password or remove their account, which deletes everything stored for
// it, tells the other modules (the router's UserRemoved event) and ends
// every session of the user with a <not-authorized/> stream error.
package register

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Name is the module's name, the <name> of its [modules.<name>] table.
const Name = "register"

// Namespaces of XEP-0077.
const (
	// NS is the protocol namespace and the disco#info feature.
	NS = "jabber:iq:register"
	// NSFeature qualifies the <register/> stream feature (XEP-0077 §8).
	NSFeature = "http://jabber.org/features/iq-register"
)

// minIterations is the least PBKDF2 iteration count RFC 7677 allows.
const minIterations = 4096

// Config is the [modules.register] table.
type Config struct {
	// AllowRegistration lets unauthenticated clients create accounts.
	// Default true (the module is only on when configured).
	AllowRegistration bool `toml:"allow_registration"`
	// AllowPasswordChange lets users change their password in-band.
	// Default true.
	AllowPasswordChange bool `toml:"allow_password_change"`
	// AllowRemove lets users delete their own account in-band. Default true.
	AllowRemove bool `toml:"allow_remove"`
	// MinPasswordLength is the least number of characters (Unicode code
	// points) of a new password. Default 8.
	MinPasswordLength int `toml:"min_password_length"`
	// Instructions is the text offered with the registration form.
	Instructions string `toml:"instructions"`
	// SCRAMIterations is the PBKDF2 iteration count for new keys; 0 means
	// the server default (4096). Keep it equal to [auth] scram_iterations.
	SCRAMIterations int `toml:"scram_iterations"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		AllowRegistration:   true,
		AllowPasswordChange: true,
		AllowRemove:         true,
		MinPasswordLength:   8,
		Instructions:        "Choose a username and password to register with this server.",
	}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.MinPasswordLength < 0 || c.MinPasswordLength > 1024 {
		errs = append(errs, fmt.Errorf("min_password_length: %d is out of range [0, 1024]", c.MinPasswordLength))
	}
	if c.SCRAMIterations != 0 && (c.SCRAMIterations < minIterations || c.SCRAMIterations > 10_000_000) {
		errs = append(errs, fmt.Errorf("scram_iterations: %d is out of range [%d, 10000000] (or 0 for the default)", c.SCRAMIterations, minIterations))
	}
	return errors.Join(errs...)
}

// Module is the XEP-0077 implementation.
type Module struct {
	cfg     Config
	router  *router.Router
	users   storage.Users
	log     *slog.Logger
	metrics *metrics
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return &Module{cfg: cfg}, nil
}

// Name implements module.Module.
func (m *Module) Name() string { return Name }

// Start registers the IQ handlers (before authentication, to the server,
// and to the user's own account for a <remove/> sent without 'to'), the
// stream feature and the disco feature.
func (m *Module) Start(ctx context.Context, h *module.Host) error {
	met, err := newMetrics(h.Registerer())
	if err != nil {
		return err
	}
	m.router, m.users, m.log, m.metrics = h.Router(), h.Store(), h.Logger(), met
	if err := h.HandleIQ(router.TargetStream, NS, router.IQHandlerFunc(m.handlePreAuth)); err != nil {
		return err
	}
	if err := h.HandleIQ(router.TargetServer, NS, router.IQHandlerFunc(m.handleAccount)); err != nil {
		return err
	}
	if err := h.HandleIQ(router.TargetAccount, NS, router.IQHandlerFunc(m.handleAccount)); err != nil {
		return err
	}
	if m.cfg.AllowRegistration {
		h.AddPreAuthStreamFeature(router.StaticFeature(stream.NewElement(NSFeature, "register")))
	}
	h.AddFeature(router.TargetServer, NS)
	return nil
}

// Stop implements module.Module; the module has no background work.
func (m *Module) Stop(context.Context) error { return nil }
