// Package private implements XEP-0049 Private XML Storage
// (jabber:iq:private): a user keeps arbitrary XML on the server, one slot
// per namespace, readable and writable by that user only. Clients keep
// XEP-0048 bookmarks and their own settings there.
package private

import (
	"context"
	"fmt"
	"time"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// Name is the module's config table name, [modules.private].
const Name = "private"

// NS is the jabber:iq:private namespace of XEP-0049.
const NS = "jabber:iq:private"

// storageTimeout bounds the storage calls of one request.
const storageTimeout = 10 * time.Second

// Module stores and serves private XML.
type Module struct {
	cfg   Config
	store storage.PrivateXML
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Module{cfg: cfg}, nil
}

// Name returns Name.
func (m *Module) Name() string { return Name }

// Start checks that the storage backend keeps private XML, registers the
// jabber:iq:private handler for accounts and advertises the namespace on
// the server and on accounts.
func (m *Module) Start(_ context.Context, h *module.Host) error {
	st, ok := h.Store().(storage.PrivateXML)
	if !ok {
		return fmt.Errorf("private: the storage backend %T does not store private XML (storage.PrivateXML)", h.Store())
	}
	m.store = st
	if err := h.HandleIQ(router.TargetAccount, NS, router.IQHandlerFunc(m.handle)); err != nil {
		return err
	}
	h.AddFeature(router.TargetServer, NS)
	h.AddFeature(router.TargetAccount, NS)
	return nil
}

// Stop does nothing: the host removes the handler.
func (m *Module) Stop(context.Context) error { return nil }
