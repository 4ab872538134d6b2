package ping_test

import (
	"slices"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/modules/ping"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func start(t *testing.T, cfg ping.Config) *servertest.Server {
	t.Helper()
	m, err := ping.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartModules(t, m)
}

func isPing(el *stream.Element) bool {
	return el.Local == "iq" && el.Attr("type") == "get" && el.Child(ping.NS, "ping") != nil
}

func TestAnswerPings(t *testing.T) {
	srv := start(t, ping.Config{}) // server pings off
	for _, target := range []router.Target{router.TargetServer, router.TargetAccount} {
		if f := srv.Disco.Features(target); !slices.Contains(f, ping.NS) {
			t.Fatalf("%s features %v", target, f)
		}
	}
	a := srv.Login(t, "alice", "")
	b := srv.Login(t, "bob", "")
	tests := []struct {
		name   string
		c      *xmpptest.Client
		stanza string
		cond   string
	}{
		{"server", a, "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", ""},
		{"own account", a, "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>", ""},
		{"other account", b, "<iq type='get' id='p1' to='alice@localhost'><ping xmlns='urn:xmpp:ping'/></iq>", ""},
		{"set", a, "<iq type='set' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "bad-request"},
		{"unknown user", a, "<iq type='get' id='p1' to='nobody@localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "service-unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			el := servertest.Exchange(tc.c, "p1", tc.stanza)
			if tc.cond != "" {
				servertest.CheckError(t, el, tc.cond)
				return
			}
			if servertest.CheckResult(t, el) != nil {
				t.Fatalf("result with payload: %s", el)
			}
		})
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_ping_requests_total", nil); got != 3 {
		t.Fatalf("requests_total = %v, want 3", got)
	}
}

// TestIdleClients runs server pings with short durations: a client that
// answers stays connected, one that does not is cut off.
func TestIdleClients(t *testing.T) {
	srv := start(t, ping.Config{Interval: 200 * time.Millisecond, Timeout: 200 * time.Millisecond, KickOnTimeout: true})
	// The idle clock starts with the login's last stanza, so the three
	// intervals are counted from before the login, not after it returns.
	start := time.Now()
	good := srv.Login(t, "alice", "good")
	mute := srv.Login(t, "bob", "mute")

	for range 3 {
		p := good.Expect(isPing)
		if p.Attr("from") != "localhost" || p.Attr("to") != good.JID {
			t.Fatalf("ping %s", p)
		}
		good.Send("<iq type='result' id='" + p.Attr("id") + "' to='localhost'/>")
	}
	// Three pings need three idle intervals.
	if d := time.Since(start); d < 3*200*time.Millisecond {
		t.Fatalf("three pings in %v, faster than the interval allows", d)
	}
	// The silent one got a ping, did not answer and was cut off.
	mute.Expect(isPing)
	mute.ExpectStreamError("connection-timeout")

	// The answering client is still there, and its answers never reached
	// the router (they would have been counted as requests otherwise).
	servertest.CheckResult(t, servertest.Exchange(good, "last", "<iq type='get' id='last' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"))
	if got := servertest.Counter(t, srv.Registry, "meerkat_ping_timeouts_total", nil); got < 1 {
		t.Fatalf("timeouts_total = %v", got)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_ping_answers_total", nil); got < 3 {
		t.Fatalf("answers_total = %v, want at least 3", got)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_ping_requests_total", nil); got != 1 {
		t.Fatalf("requests_total = %v, want 1", got)
	}
}
