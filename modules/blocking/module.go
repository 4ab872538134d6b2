// Package blocking implements XEP-0191 (Blocking Command): users keep a list
// of blocked JIDs, and the server stops stanzas between them and those JIDs
// in both directions.
//
// Enforcement runs on the router's UserReceive and UserSend hooks at
// priority 10, before other modules see a stanza. It reads a cache of the
// lists of users who have sessions on this node (and a bounded number of
// others), so checking a stanza touches no storage; a change through the
// blocking IQs replaces the cached list at once.
package blocking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Name is the module's name, the <name> of its [modules.<name>] table.
const Name = "blocking"

// Namespaces of XEP-0191.
const (
	// NS is the protocol namespace and the disco#info feature.
	NS = "urn:xmpp:blocking"
	// NSErrors qualifies the <blocked/> application error condition.
	NSErrors = "urn:xmpp:blocking:errors"
)

// HookPriority is where enforcement runs on UserReceive and UserSend: early,
// so that blocked stanzas reach no other module.
const HookPriority = 10

// storeTimeout bounds every storage call the module makes.
const storeTimeout = 10 * time.Second

// Config is the [modules.blocking] table.
type Config struct {
	// MaxItems is how many JIDs one user can block. Default 1000.
	MaxItems int `toml:"max_items"`
	// CacheSize is how many block lists of users without a session on this
	// node are kept in memory (those of users with sessions always are).
	// Default 10000.
	CacheSize int `toml:"cache_size"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{MaxItems: 1000, CacheSize: 10000} }

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.MaxItems < 1 || c.MaxItems > 100000 {
		errs = append(errs, fmt.Errorf("max_items: %d is out of range [1, 100000]", c.MaxItems))
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("cache_size: %d must not be negative", c.CacheSize))
	}
	return errors.Join(errs...)
}

// Module is the XEP-0191 implementation.
type Module struct {
	cfg   Config
	cache *cache

	router  *router.Router
	store   storage.Blocklists
	roster  storage.Roster // nil when the backend keeps no rosters
	log     *slog.Logger
	metrics *metrics
	pushID  atomic.Uint64
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return &Module{cfg: cfg, cache: newCache(cfg.CacheSize)}, nil
}

// Name implements module.Module.
func (m *Module) Name() string { return Name }

// ErrNoStorage is returned by Start when the storage backend cannot keep
// block lists.
var ErrNoStorage = errors.New("the storage backend does not implement storage.Blocklists")

// Start registers the IQ handler, the enforcement hooks, the session and
// presence events and the disco feature.
func (m *Module) Start(ctx context.Context, h *module.Host) error {
	st, ok := h.Store().(storage.Blocklists)
	if !ok {
		return ErrNoStorage
	}
	m.roster, _ = h.Store().(storage.Roster)
	met, err := newMetrics(h.Registerer())
	if err != nil {
		return err
	}
	m.router, m.store, m.log, m.metrics = h.Router(), st, h.Logger(), met
	if err := h.HandleIQ(router.TargetAccount, NS, router.IQHandlerFunc(m.handleIQ)); err != nil {
		return err
	}
	hooks := h.Hooks()
	h.OnStanza(&hooks.UserReceive, HookPriority, m.onReceive)
	h.OnStanza(&hooks.UserSend, HookPriority, m.onSend)
	module.OnEvent(h, &hooks.SessionOpened, HookPriority, m.onSessionOpened)
	module.OnEvent(h, &hooks.SessionClosed, HookPriority, m.onSessionClosed)
	module.OnEvent(h, &hooks.PresenceChanged, HookPriority, m.onPresence)
	module.OnEvent(h, &hooks.UserRemoved, HookPriority, m.onUserRemoved)
	h.AddFeature(router.TargetServer, NS)
	return nil
}

// Stop implements module.Module; the module has no background work.
func (m *Module) Stop(context.Context) error { return nil }

// load reads an account's list from storage.
func (m *Module) load(ctx context.Context, k userKey) (*list, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	jids, err := m.store.Blocklist(ctx, k.domain, k.local)
	if err != nil {
		return nil, err
	}
	m.metrics.loads.Inc()
	return newList(jids), nil
}

// listOf returns k's list (nil when empty). A storage failure is logged
// and treated as an empty list: a database outage must not stop all
// traffic.
func (m *Module) listOf(ctx context.Context, k userKey) *list {
	if l, ok := m.cache.get(k); ok {
		return l // the hot path: no allocation
	}
	// k's strings may live on the caller's stack; the slow path keeps its
	// key, so it gets copies.
	return m.loadList(ctx, userKey{strings.Clone(k.local), strings.Clone(k.domain)})
}

func (m *Module) loadList(ctx context.Context, k userKey) *list {
	l, err := m.cache.list(ctx, k, m.load)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "loading a block list failed",
			slog.String("jid", k.local+"@"+k.domain), slog.Any("err", err))
		return nil
	}
	return l
}

func (m *Module) onSessionOpened(ctx context.Context, ev *router.SessionEvent) {
	if err := m.cache.opened(ctx, keyOf(ev.JID), m.load); err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "loading a block list failed",
			slog.String("jid", ev.JID.String()), slog.Any("err", err))
	}
}

func (m *Module) onSessionClosed(_ context.Context, ev *router.SessionEvent) {
	m.cache.closed(keyOf(ev.JID), ev.Session)
}

// onPresence keeps each resource's last available presence, to send it to
// contacts the user unblocks.
func (m *Module) onPresence(_ context.Context, ev *router.PresenceEvent) {
	if ev.Session == nil {
		return
	}
	var p *stream.Element
	if ev.Available && ev.Stanza != nil {
		p = ev.Stanza.DeepCopy()
		p.RemoveAttr("to")
		p.SetAttr("from", ev.JID.String())
	}
	m.cache.update(keyOf(ev.JID), func(e *entry) {
		if p == nil {
			delete(e.presence, ev.Session)
			return
		}
		if e.presence == nil {
			e.presence = make(map[router.Session]*stream.Element)
		}
		e.presence[ev.Session] = p
	})
}

func (m *Module) onUserRemoved(_ context.Context, ev *router.UserEvent) {
	m.cache.remove(userKey{ev.Username, ev.Host})
}
