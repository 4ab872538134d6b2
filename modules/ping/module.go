// Package ping implements XEP-0199 (XMPP Ping) on the server side: it
// answers pings to the server and to a user's bare JID, and pings clients
// that have sent nothing for a while, ending the session of one that does
// not answer in time.
//
// A session's activity is any stanza it sends (the router's UserSend hook).
// Every tick (a quarter of the shorter of interval and timeout) the module
// pings each session idle for at least interval with an IQ get from the
// server to its full JID; the reply (a result or an error, addressed to the
// server) is taken off the UserSend hook, and a session with no reply after
// timeout is ended with a <connection-timeout/> stream error.
package ping

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
)

// Name is the module's name, the <name> of its [modules.<name>] table.
const Name = "ping"

// NS is the urn:xmpp:ping namespace and disco#info feature.
const NS = "urn:xmpp:ping"

// HookPriority is where the module runs on UserSend: first, so that every
// stanza counts as activity and ping replies go no further.
const HookPriority = 0

// Config is the [modules.ping] table.
type Config struct {
	// Interval is how long a session may send nothing before the server
	// pings it. Default "5m"; "0s" turns server pings off.
	Interval time.Duration `toml:"interval"`
	// Timeout is how long the server waits for the answer. Default "30s".
	Timeout time.Duration `toml:"timeout"`
	// KickOnTimeout ends a session that did not answer in time with a
	// <connection-timeout/> stream error; false only counts it (and pings
	// again after the next idle interval). Default true.
	KickOnTimeout bool `toml:"kick_on_timeout"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Interval: 5 * time.Minute, Timeout: 30 * time.Second, KickOnTimeout: true}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Interval < 0 {
		errs = append(errs, fmt.Errorf("interval: %v must not be negative", c.Interval))
	}
	if c.Interval > 0 && c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("timeout: %v must be positive when interval is set", c.Timeout))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %v must not be negative", c.Timeout))
	}
	return errors.Join(errs...)
}

// Module is the XEP-0199 implementation.
type Module struct {
	cfg     Config
	router  *router.Router
	log     *slog.Logger
	metrics *metrics

	sessions sessions
	seq      atomic.Uint64
	now      func() time.Time // time.Now; tests set their own clock

	stop context.CancelFunc
	wg   sync.WaitGroup
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	m := &Module{cfg: cfg, now: time.Now}
	m.sessions.init()
	return m, nil
}

// Name implements module.Module.
func (m *Module) Name() string { return Name }

// Start registers the IQ handlers and disco features and, with an
// interval, the hooks and the ticker that pings idle sessions.
func (m *Module) Start(ctx context.Context, h *module.Host) error {
	met, err := newMetrics(h.Registerer())
	if err != nil {
		return err
	}
	m.router, m.log, m.metrics = h.Router(), h.Logger(), met
	for _, t := range []router.Target{router.TargetServer, router.TargetAccount} {
		if err := h.HandleIQ(t, NS, router.IQHandlerFunc(m.handlePing)); err != nil {
			return err
		}
		h.AddFeature(t, NS)
	}
	if m.cfg.Interval == 0 {
		return nil
	}
	hooks := h.Hooks()
	h.OnStanza(&hooks.UserSend, HookPriority, m.onSend)
	module.OnEvent(h, &hooks.SessionOpened, HookPriority, m.onSessionOpened)
	module.OnEvent(h, &hooks.SessionClosed, HookPriority, m.onSessionClosed)
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = cancel
	m.wg.Add(1)
	go m.loop(lctx)
	return nil
}

// Stop ends the ticker and waits for it.
func (m *Module) Stop(context.Context) error {
	if m.stop != nil {
		m.stop()
		m.wg.Wait()
		m.stop = nil
	}
	return nil
}

// tick returns the period of the sweep: a quarter of the shorter of
// interval and timeout, so a ping or a kick comes at most a quarter late.
func (m *Module) tick() time.Duration {
	return max(min(m.cfg.Interval, m.cfg.Timeout)/4, time.Millisecond)
}

func (m *Module) loop(ctx context.Context) {
	defer m.wg.Done()
	t := time.NewTicker(m.tick())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.sweep(ctx, m.now())
		}
	}
}
