// Package version implements XEP-0092 Software Version
// (jabber:iq:version) for the server: the software's name, its version
// and, if configured, the operating system it runs on.
package version

import (
	"context"
	"runtime"
	"runtime/debug"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Name is the module's config table name, [modules.version].
const Name = "version"

// NS is the jabber:iq:version namespace of XEP-0092.
const NS = "jabber:iq:version"

// Software is the <name/> the server reports.
const Software = "Meerkat"

// Module answers software version queries to the server.
type Module struct {
	version string
	os      string
}

var _ module.Module = (*Module)(nil)

// New returns the module for cfg. An empty cfg.Version reports
// BuildVersion(); the server binary may set it to its own version string
// first. New has no side effects.
func New(cfg Config) (*Module, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Module{version: cfg.Version}
	if m.version == "" {
		m.version = BuildVersion()
	}
	if cfg.ShowOS {
		m.os = runtime.GOOS + "/" + runtime.GOARCH
	}
	return m, nil
}

// BuildVersion returns the version of the main module as the Go build
// recorded it, with the first 12 digits of the VCS revision when known,
// or "dev" when the build carries no version.
func BuildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return buildVersion(bi)
}

func buildVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
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

// handle answers XEP-0092 §2.
func (m *Module) handle(_ context.Context, iq *router.IQ) (*stream.Element, error) {
	if iq.Type != stanza.IQGet {
		return nil, stanza.NewError(stanza.NotAllowed, "the software version is read-only")
	}
	if iq.Payload.Local != "query" {
		return nil, stanza.ErrBadRequest("the payload must be <query xmlns='jabber:iq:version'/>")
	}
	return m.answer(), nil
}

func (m *Module) answer() *stream.Element {
	q := stream.NewElement(NS, "query")
	q.AddChild(stream.NewElement(NS, "name").AddText(Software))
	q.AddChild(stream.NewElement(NS, "version").AddText(m.version))
	if m.os != "" {
		q.AddChild(stream.NewElement(NS, "os").AddText(m.os))
	}
	return q
}
