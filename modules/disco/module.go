// Package disco answers XEP-0030 service discovery for the server and for
// its users' accounts, from the registry every module fills through
// module.Host (AddFeature, AddIdentity, AddItem): no list of features is
// written here. It also offers the server's XEP-0115 entity capabilities
// in the stream features, and can publish XEP-0157 contact addresses as
// XEP-0128 extended information.
package disco

import (
	"context"
	"errors"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
)

// Name is the module's config table name, [modules.disco].
const Name = "disco"

// Namespaces this module speaks.
const (
	// NSInfo is XEP-0030 disco#info.
	NSInfo = "http://jabber.org/protocol/disco#info"
	// NSItems is XEP-0030 disco#items.
	NSItems = "http://jabber.org/protocol/disco#items"
	// NSCaps is XEP-0115 entity capabilities.
	NSCaps = "http://jabber.org/protocol/caps"
	// NSData is XEP-0004 data forms, which carry XEP-0128 extended info.
	NSData = "jabber:x:data"
	// NSServerInfo is the XEP-0157 FORM_TYPE of contact addresses.
	NSServerInfo = "http://jabber.org/network/serverinfo"
)

// CapsNode is the XEP-0115 'node' naming Meerkat as the software.
const CapsNode = "https://meerkat-xmpp.github.io"

// Module answers disco#info and disco#items.
type Module struct {
	cfg  Config
	form *capsForm

	disco  *module.Disco
	router *router.Router
	caps   *caps
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Module{cfg: cfg}
	if fs := cfg.ContactAddresses.fields(); len(fs) > 0 {
		m.form = &capsForm{Type: NSServerInfo, Fields: fs}
	}
	return m, nil
}

// Name returns Name.
func (m *Module) Name() string { return Name }

// Start advertises the server and account identities and the disco
// features, registers the disco#info and disco#items handlers for the
// server and for accounts, and offers caps in the stream features.
func (m *Module) Start(_ context.Context, h *module.Host) error {
	m.disco = h.Disco()
	m.router = h.Router()
	if m.disco == nil || m.router == nil {
		return errors.New("disco: the host has no disco registry or router")
	}
	m.caps = &caps{disco: m.disco, form: m.form}
	h.AddIdentity(router.TargetServer, module.Identity{Category: "server", Type: "im", Name: m.cfg.Name})
	h.AddIdentity(router.TargetAccount, module.Identity{Category: "account", Type: "registered"})
	for _, t := range []router.Target{router.TargetServer, router.TargetAccount} {
		h.AddFeature(t, NSInfo)
		h.AddFeature(t, NSItems)
		if err := h.HandleIQ(t, NSInfo, infoHandler{m, t}); err != nil {
			return err
		}
		if err := h.HandleIQ(t, NSItems, itemsHandler{m, t}); err != nil {
			return err
		}
	}
	if m.cfg.StreamCaps {
		h.AddStreamFeature(m.caps.appendFeature)
	}
	return nil
}

// Stop does nothing: the host removes the handlers.
func (m *Module) Stop(context.Context) error { return nil }

// Ver returns the server's current XEP-0115 'ver' (sha-1), as offered in
// the stream features; "" before Start.
func (m *Module) Ver() string {
	if m.caps == nil {
		return ""
	}
	v, _ := m.caps.current()
	return v
}
