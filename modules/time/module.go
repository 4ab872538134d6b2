// Package entitytime implements XEP-0202 Entity Time (urn:xmpp:time) for
// the server: its clock in UTC and its time zone offset. Its config table
// is [modules.time]; the package is not called time so that it does not
// shadow the standard library's.
package entitytime

import (
	"context"
	"time"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Name is the module's config table name, [modules.time].
const Name = "time"

// NS is the urn:xmpp:time namespace of XEP-0202.
const NS = "urn:xmpp:time"

// Module answers entity time queries to the server.
type Module struct {
	now func() time.Time // the clock, in the zone to report
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. It has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Module{now: time.Now}, nil
}

// Name returns Name.
func (m *Module) Name() string { return Name }

// Start registers the handler for the server and advertises the feature.
func (m *Module) Start(_ context.Context, h *module.Host) error {
	if err := h.HandleIQ(router.TargetServer, NS, router.IQHandlerFunc(m.handle)); err != nil {
		return err
	}
	h.AddFeature(router.TargetServer, NS)
	return nil
}

// Stop does nothing: the host removes the handler.
func (m *Module) Stop(context.Context) error { return nil }

// handle answers XEP-0202 §3.
func (m *Module) handle(_ context.Context, iq *router.IQ) (*stream.Element, error) {
	if iq.Type != stanza.IQGet {
		return nil, stanza.NewError(stanza.NotAllowed, "the time is read-only")
	}
	if iq.Payload.Local != "time" {
		return nil, stanza.ErrBadRequest("the payload must be <time xmlns='urn:xmpp:time'/>")
	}
	return answer(m.now()), nil
}

// answer is the <time/> element for t: <tzo/> is t's zone offset as
// XEP-0082 writes it (always ±hh:mm, so "+00:00" for UTC), <utc/> the
// instant in UTC with milliseconds.
func answer(t time.Time) *stream.Element {
	el := stream.NewElement(NS, "time")
	el.AddChild(stream.NewElement(NS, "tzo").AddText(t.Format("-07:00")))
	el.AddChild(stream.NewElement(NS, "utc").AddText(t.UTC().Format("2006-01-02T15:04:05.000Z")))
	return el
}
