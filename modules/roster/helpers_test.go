package roster_test

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/presence"
	"github.com/meerkat-xmpp/meerkat/modules/roster"
)

// start runs a server with the roster and presence modules.
func start(t *testing.T) *servertest.Server {
	t.Helper()
	return startWith(t, roster.DefaultConfig())
}

// startWith is start with a roster configuration.
func startWith(t *testing.T, cfg roster.Config) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Modules: func(t testing.TB) []module.Module {
		r, err := roster.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p, err := presence.New(presence.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return []module.Module{r, p}
	}})
}

// Short names for the shared helpers.
var (
	expectAll    = servertest.ExpectAll
	push         = servertest.Push
	presenceFrom = servertest.Presence
	getRoster    = servertest.GetRoster
	item         = servertest.Item
)
