package presence_test

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/presence"
	"github.com/meerkat-xmpp/meerkat/modules/roster"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// start runs a server with the roster and presence modules.
func start(t *testing.T) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Modules: func(t testing.TB) []module.Module {
		r, err := roster.New(roster.DefaultConfig())
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

var (
	expectAll    = servertest.ExpectAll
	presenceFrom = servertest.Presence
)

// isMessage matches a message with the given body.
func isMessage(body string) servertest.Matcher {
	return func(el *stream.Element) bool {
		return el.Local == "message" && el.ChildText(el.Space, "body") == body
	}
}
