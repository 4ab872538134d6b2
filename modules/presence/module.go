// Package presence implements RFC 6121 §4: broadcasting a user's presence
// to the contacts subscribed to it, probing the contacts the user is
// subscribed to at initial presence, answering inbound probes, and telling
// every entity that got directed presence when the session goes away.
//
// The broadcast path is the PresenceChanged event, which the session fires
// after it recorded its availability and routed the presence to the user's
// own available resources (RFC 6121 §4.2.2, §4.4.2, §4.5.2). A session that
// ends while available has an unavailable presence synthesized by c2s on the
// same path, so contacts hear of every departure.
//
// Subscription state is read from storage.Roster; the roster module writes
// it. The two modules share nothing else: when a subscription grants a
// contact the user's presence, the roster module routes a probe on the
// contact's behalf and this module answers it.
package presence

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// Name is the module's name, the <name> of [modules.presence].
const Name = "presence"

// Priority is where the module's hooks run: after the roster module (100),
// which takes subscription presence and delivers pending requests first.
const Priority = 200

// Module is the presence module. Create it with New.
type Module struct {
	cfg     Config
	r       *router.Router
	store   storage.Roster
	log     *slog.Logger
	metrics *metrics

	seed   maphash.Seed
	shards [32]shard
}

// New returns a presence module for cfg. It has no side effects.
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
var ErrNoRosterStore = errors.New("presence: the storage backend does not implement storage.Roster")

// Start registers the module's hooks.
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
	m.reset()
	hooks := h.Hooks()
	h.OnStanza(&hooks.UserSend, Priority, m.onUserSend)
	h.OnStanza(&hooks.UserReceive, Priority, m.onUserReceive)
	module.OnEvent(h, &hooks.PresenceChanged, Priority, m.onPresenceChanged)
	module.OnEvent(h, &hooks.SessionOpened, Priority, m.onSessionOpened)
	module.OnEvent(h, &hooks.SessionClosed, Priority, m.onSessionClosed)
	module.OnEvent(h, &hooks.UserRemoved, Priority, m.onUserRemoved)
	return nil
}

// Stop forgets every session's presence; the host removes the hooks.
func (m *Module) Stop(ctx context.Context) error {
	m.reset()
	return nil
}

func (m *Module) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, m.cfg.StorageTimeout)
}

var _ module.Module = (*Module)(nil)
