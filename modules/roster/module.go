// Package roster implements RFC 6121 §2 (roster management) and §3
// (presence subscriptions): the jabber:iq:roster get, set and remove, roster
// pushes to interested resources, the subscription state machine of
// Appendix A (see Transition), subscription pre-approval (§3.4), and
// XEP-0237 roster versioning.
//
// Presence broadcast and probes belong to the presence module. When a
// subscription grants a contact the user's presence, this module routes a
// probe on the contact's behalf to the user's bare JID, and the presence
// module answers it with the presence of each available resource: the two
// modules share nothing but the router and the roster store.
package roster

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Name is the module's name, the <name> of [modules.roster].
const Name = "roster"

// Namespaces this module speaks.
const (
	NS            = "jabber:iq:roster"               // RFC 6121 §2
	NSVersioning  = "urn:xmpp:features:rosterver"    // XEP-0237 stream feature
	NSPreApproval = "urn:xmpp:features:pre-approval" // RFC 6121 §3.4 stream feature
)

// Priority is where the module's hooks run: UserSend and UserReceive for
// subscription presence, PresenceChanged for pending requests. A module
// that must see subscription stanzas first (blocking, privacy lists)
// registers below it.
const Priority = 100

// Module is the roster module. Create it with New.
type Module struct {
	cfg     Config
	r       *router.Router
	store   storage.Roster
	log     *slog.Logger
	metrics *metrics

	seed  maphash.Seed
	locks [64]sync.Mutex // per-user read-modify-write of roster items

	pushID atomic.Uint64

	mu         sync.Mutex
	interested map[string]router.Session // full JID → the session that fetched the roster
}

// New returns a roster module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Module{cfg: cfg, seed: maphash.MakeSeed()}, nil
}

// Name implements module.Module.
func (m *Module) Name() string { return Name }

// ErrNoRosterStore is returned by Start when the storage backend does not
// implement storage.Roster.
var ErrNoRosterStore = errors.New("roster: the storage backend does not implement storage.Roster")

// Start registers the roster IQ handler, the subscription hooks and the
// stream features.
func (m *Module) Start(ctx context.Context, h *module.Host) error {
	rs, ok := h.Store().(storage.Roster)
	if !ok {
		return ErrNoRosterStore
	}
	met, err := newMetrics(h.Registerer())
	if err != nil {
		return err
	}
	m.r, m.store, m.log, m.metrics = h.Router(), rs, h.Logger(), met
	m.mu.Lock()
	m.interested = make(map[string]router.Session)
	m.mu.Unlock()

	if err := h.HandleIQ(router.TargetAccount, NS, router.IQHandlerFunc(m.handleIQ)); err != nil {
		return err
	}
	hooks := h.Hooks()
	h.OnStanza(&hooks.UserSend, Priority, m.onUserSend)
	h.OnStanza(&hooks.UserReceive, Priority, m.onUserReceive)
	module.OnEvent(h, &hooks.PresenceChanged, Priority, m.onPresenceChanged)
	module.OnEvent(h, &hooks.SessionClosed, Priority, m.onSessionClosed)
	module.OnEvent(h, &hooks.UserRemoved, Priority, m.onUserRemoved)
	h.AddStreamFeature(router.StaticFeature(stream.NewElement(NSPreApproval, "sub")))
	if m.cfg.Versioning {
		h.AddStreamFeature(router.StaticFeature(stream.NewElement(NSVersioning, "ver")))
	}
	return nil
}

// Stop forgets the interested resources; the host removes the handlers.
func (m *Module) Stop(ctx context.Context) error {
	m.mu.Lock()
	clear(m.interested)
	m.mu.Unlock()
	return nil
}

// lock serializes read-modify-write of one user's roster. It is never held
// while routing, so two users' handlers routing to each other cannot
// deadlock.
func (m *Module) lock(user jid.JID) func() {
	l := &m.locks[maphash.String(m.seed, user.String())%uint64(len(m.locks))]
	l.Lock()
	return l.Unlock
}

// storeCtx bounds one storage call.
func (m *Module) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, m.cfg.StorageTimeout)
}

func (m *Module) storageFailed(ctx context.Context, op string, user jid.JID, err error) {
	m.metrics.storageErrors.Inc()
	m.log.LogAttrs(ctx, slog.LevelWarn, "roster storage failed", slog.String("op", op),
		slog.String("jid", user.String()), slog.Any("err", err))
}

// setInterested records that session s of full fetched the roster (RFC 6121
// §2.2: it is an interested resource from now on).
func (m *Module) setInterested(full jid.JID) {
	for _, res := range m.r.Resources(full.Bare()) {
		if res.JID.Equal(full) {
			m.mu.Lock()
			m.interested[full.String()] = res.Session
			m.mu.Unlock()
			return
		}
	}
}

func (m *Module) onSessionClosed(_ context.Context, ev *router.SessionEvent) {
	k := ev.JID.String()
	m.mu.Lock()
	if m.interested[k] == ev.Session {
		delete(m.interested, k)
	}
	m.mu.Unlock()
}

// onUserRemoved drops what is cached for the account. Its roster rows go
// with the account (DeleteUser cascades).
func (m *Module) onUserRemoved(_ context.Context, ev *router.UserEvent) {
	prefix := ev.Username + "@" + ev.Host + "/"
	m.mu.Lock()
	for k := range m.interested {
		if strings.HasPrefix(k, prefix) {
			delete(m.interested, k)
		}
	}
	m.mu.Unlock()
}

var _ module.Module = (*Module)(nil)
