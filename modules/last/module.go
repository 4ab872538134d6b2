// Package last implements XEP-0012 (Last Activity) for the server: its
// uptime, and for a user's bare JID the time since the user last logged
// out with the status they left.
//
// A query to a user's bare JID is answered only to the user themself or to
// an entity the user lets see their presence (a roster item with
// subscription "from" or "both"); anyone else gets forbidden (XEP-0012 §3).
// While the user has an available resource the answer is 0 seconds. A
// query to a full JID goes to that client, which answers for itself.
package last

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// Name is the module's name, the <name> of its [modules.<name>] table.
const Name = "last"

// NS is the jabber:iq:last namespace and disco#info feature.
const NS = "jabber:iq:last"

// HookPriority is where the module's event hooks run.
const HookPriority = 50

// storeTimeout bounds every storage call the module makes.
const storeTimeout = 10 * time.Second

// removedTTL is how long the module remembers a removed account, so that
// its sessions, closing after the removal, store nothing for it again.
const removedTTL = 5 * time.Minute

// Config is the [modules.last] table.
type Config struct {
	// ServerUptime answers queries to the server itself with its uptime.
	// Default true; false hides it (the query gets service-unavailable).
	ServerUptime bool `toml:"server_uptime"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{ServerUptime: true} }

// Validate checks the configuration; every value is valid.
func (c Config) Validate() error { return nil }

// Module is the XEP-0012 implementation.
type Module struct {
	cfg     Config
	started time.Time

	router  *router.Router
	store   storage.LastActivity
	roster  storage.Roster // nil: only the user may query themself
	log     *slog.Logger
	metrics *metrics

	mu sync.Mutex
	// status is the status of the last unavailable presence of sessions
	// that went unavailable and are still connected.
	status map[router.Session]string
	// removed are accounts deleted recently, by "user@host".
	removed map[string]time.Time
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return &Module{cfg: cfg, status: map[router.Session]string{}, removed: map[string]time.Time{}}, nil
}

// Name implements module.Module.
func (m *Module) Name() string { return Name }

// ErrNoStorage is returned by Start when the storage backend cannot keep
// last activity.
var ErrNoStorage = errors.New("the storage backend does not implement storage.LastActivity")

// Start registers the IQ handlers, the session and presence events and the
// disco features. The server's uptime counts from here.
func (m *Module) Start(ctx context.Context, h *module.Host) error {
	st, ok := h.Store().(storage.LastActivity)
	if !ok {
		return ErrNoStorage
	}
	m.roster, _ = h.Store().(storage.Roster)
	met, err := newMetrics(h.Registerer())
	if err != nil {
		return err
	}
	m.router, m.store, m.log, m.metrics = h.Router(), st, h.Logger(), met
	m.started = time.Now()
	if m.cfg.ServerUptime {
		if err := h.HandleIQ(router.TargetServer, NS, router.IQHandlerFunc(m.handleServer)); err != nil {
			return err
		}
		h.AddFeature(router.TargetServer, NS)
	}
	if err := h.HandleIQ(router.TargetAccount, NS, router.IQHandlerFunc(m.handleAccount)); err != nil {
		return err
	}
	h.AddFeature(router.TargetAccount, NS)
	hooks := h.Hooks()
	module.OnEvent(h, &hooks.PresenceChanged, HookPriority, m.onPresence)
	module.OnEvent(h, &hooks.SessionOpened, HookPriority, m.onSessionOpened)
	module.OnEvent(h, &hooks.SessionClosed, HookPriority, m.onSessionClosed)
	module.OnEvent(h, &hooks.UserRemoved, HookPriority, m.onUserRemoved)
	return nil
}

// Stop implements module.Module; the module has no background work.
func (m *Module) Stop(context.Context) error { return nil }
