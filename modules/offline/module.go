// Package offline keeps messages for users who are offline and hands them
// over at their next login: XEP-0160 (Best Practices for Handling Offline
// Messages), with a XEP-0203 delay stamp on every delivered message.
//
// A message reaches the module through the router's Offline hook, which runs
// when no resource of the recipient is available with a non-negative
// priority (RFC 6121 §8.5.2.2). Normal and chat messages that carry
// something worth keeping are stored, up to max_messages per user; a full
// queue answers the sender with service-unavailable (XEP-0160 §2). The
// stored messages are delivered, oldest first, to the first resource that
// sends initial presence with a non-negative priority, and then deleted.
package offline

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// Name is the module's name, the <name> of its [modules.<name>] table.
const Name = "offline"

// Namespaces and the disco feature this module uses.
const (
	// Feature is the XEP-0160 §4 disco#info feature of the server.
	Feature = "msgoffline"
	// NSDelay is the XEP-0203 delayed delivery namespace.
	NSDelay = "urn:xmpp:delay"
	// NSHints is the XEP-0334 message processing hints namespace.
	NSHints = "urn:xmpp:hints"
	// NSChatStates is the XEP-0085 chat state notifications namespace.
	NSChatStates = "http://jabber.org/protocol/chatstates"
)

// HookPriority is where the module runs on the Offline hook: after modules
// that might want a message first (lower numbers run earlier).
const HookPriority = 50

// Bounds of max_messages: at least one, and few enough that the whole queue
// of a user can be read and delivered at one login.
const (
	minMessages = 1
	maxMessages = 10000
)

// storeTimeout bounds every storage call the module makes.
const storeTimeout = 10 * time.Second

// Config is the [modules.offline] table.
type Config struct {
	// MaxMessages is how many messages one user can have waiting. A message
	// beyond that is refused with service-unavailable. Default 100.
	MaxMessages int `toml:"max_messages"`
}

// DefaultConfig returns the defaults: 100 messages per user.
func DefaultConfig() Config { return Config{MaxMessages: 100} }

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.MaxMessages < minMessages || c.MaxMessages > maxMessages {
		return fmt.Errorf("max_messages: %d is out of range [%d, %d]", c.MaxMessages, minMessages, maxMessages)
	}
	return nil
}

// Module is the offline message store.
type Module struct {
	cfg Config

	router  *router.Router
	store   storage.Offline
	log     *slog.Logger
	metrics *metrics

	// locks serialize delivery per user so two resources logging in at
	// once do not both get (and delete) the same messages.
	seed  maphash.Seed
	locks [64]sync.Mutex
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	return &Module{cfg: cfg, seed: maphash.MakeSeed()}, nil
}

// Name implements module.Module.
func (m *Module) Name() string { return Name }

// ErrNoStorage is returned by Start when the storage backend cannot keep
// offline messages.
var ErrNoStorage = errors.New("the storage backend does not implement storage.Offline")

// Start registers the Offline and PresenceChanged hooks and the disco
// feature.
func (m *Module) Start(ctx context.Context, h *module.Host) error {
	st, ok := h.Store().(storage.Offline)
	if !ok {
		return ErrNoStorage
	}
	met, err := newMetrics(h.Registerer())
	if err != nil {
		return err
	}
	m.router, m.store, m.log, m.metrics = h.Router(), st, h.Logger(), met
	h.OnStanza(&h.Hooks().Offline, HookPriority, m.onOffline)
	module.OnEvent(h, &h.Hooks().PresenceChanged, HookPriority, m.onPresence)
	h.AddFeature(router.TargetServer, Feature)
	return nil
}

// Stop implements module.Module; the module has no background work.
func (m *Module) Stop(context.Context) error { return nil }

// lock returns the delivery lock of the account bare.
func (m *Module) lock(bare jid.JID) *sync.Mutex {
	var h maphash.Hash
	h.SetSeed(m.seed)
	h.WriteString(bare.Localpart())
	h.WriteByte('@')
	h.WriteString(bare.Domainpart())
	return &m.locks[h.Sum64()%uint64(len(m.locks))]
}
