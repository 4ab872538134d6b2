// Package vcard implements XEP-0054 vcard-temp: a user stores their own
// vCard on the server, and anyone can read it by asking the user's bare
// JID, answered by the server on the user's behalf.
package vcard

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Name is the module's config table name, [modules.vcard].
const Name = "vcard"

// NS is the vcard-temp namespace of XEP-0054.
const NS = "vcard-temp"

// storageTimeout bounds one storage call.
const storageTimeout = 10 * time.Second

// Module stores and serves vCards.
type Module struct {
	cfg   Config
	store storage.VCards
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

// Start checks that the storage backend keeps vCards, registers the
// vcard-temp handler for accounts and advertises vcard-temp on the server
// and on accounts (XEP-0054 §3).
func (m *Module) Start(_ context.Context, h *module.Host) error {
	st, ok := h.Store().(storage.VCards)
	if !ok {
		return fmt.Errorf("vcard: the storage backend %T does not store vCards (storage.VCards)", h.Store())
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

func (m *Module) handle(ctx context.Context, iq *router.IQ) (*stream.Element, error) {
	if iq.Payload.Local != "vCard" {
		return nil, stanza.ErrBadRequest("the payload must be <vCard xmlns='vcard-temp'/>")
	}
	own := iq.From.Bare().Equal(iq.To)
	ctx, cancel := context.WithTimeout(ctx, storageTimeout)
	defer cancel()
	host, user := iq.To.Domainpart(), iq.To.Localpart()
	if iq.Type == stanza.IQSet {
		// XEP-0054 §3.2: only the user sets their own vCard.
		if !own {
			return nil, stanza.NewError(stanza.Forbidden, "only the owner may change a vCard")
		}
		data := iq.Payload.AppendXML(nil, "")
		if len(data) > m.cfg.MaxBytes {
			return nil, stanza.NewError(stanza.NotAcceptable,
				"the vCard exceeds "+strconv.Itoa(m.cfg.MaxBytes)+" bytes")
		}
		if err := m.store.SetVCard(ctx, host, user, data); err != nil {
			return nil, fmt.Errorf("vcard: store %s: %w", iq.To, err)
		}
		return nil, nil
	}
	data, err := m.store.VCard(ctx, host, user)
	if errors.Is(err, storage.ErrNotFound) {
		// XEP-0054 §3.1: the owner gets an empty vCard; §3.3: anyone else
		// an error (an account that does not exist never gets here: the
		// router answers service-unavailable for it).
		if own {
			return stream.NewElement(NS, "vCard"), nil
		}
		return nil, stanza.NewError(stanza.ItemNotFound, "")
	}
	if err != nil {
		return nil, fmt.Errorf("vcard: load %s: %w", iq.To, err)
	}
	el, err := stream.DecodeElement(data, stream.Limits{MaxStanzaBytes: max(len(data), 64<<10)}, "")
	if err != nil {
		return nil, fmt.Errorf("vcard: stored vCard of %s does not parse: %w", iq.To, err)
	}
	return el, nil
}
