package last_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/modules/last"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func start(t *testing.T, cfg last.Config) *servertest.Server {
	t.Helper()
	m, err := last.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartModules(t, m)
}

func ask(c *xmpptest.Client, id, to string) *stream.Element {
	return servertest.Exchange(c, id, "<iq type='get' id='"+id+"' to='"+to+"'><query xmlns='jabber:iq:last'/></iq>")
}

// seconds checks a last activity result and returns its seconds and text.
func seconds(t *testing.T, el *stream.Element) (int, string) {
	t.Helper()
	q := servertest.CheckResult(t, el)
	if !q.Is(last.NS, "query") {
		t.Fatalf("result payload %s", q)
	}
	n, err := strconv.Atoi(q.Attr("seconds"))
	if err != nil || n < 0 {
		t.Fatalf("seconds %q", q.Attr("seconds"))
	}
	return n, q.Text()
}

func TestServerUptime(t *testing.T) {
	srv := start(t, last.DefaultConfig())
	if f := srv.Disco.Features(router.TargetServer); !slices.Contains(f, last.NS) {
		t.Fatalf("server features %v", f)
	}
	a := srv.Login(t, "alice", "")
	if n, text := seconds(t, ask(a, "u1", "localhost")); n > 60 || text != "" {
		t.Fatalf("uptime %d %q", n, text)
	}
	srv2 := start(t, last.Config{ServerUptime: false})
	b := srv2.Login(t, "bob", "")
	servertest.CheckError(t, ask(b, "u2", "localhost"), "service-unavailable")
}

func TestAccountQuery(t *testing.T) {
	srv := start(t, last.DefaultConfig())
	ctx := context.Background()
	roster := srv.Store.(storage.Roster)
	// alice lets bob see her presence; carol only asked (subscription to
	// is alice's view of carol's presence, not the other way round).
	for _, it := range []storage.RosterItem{
		{JID: "bob@localhost", Subscription: storage.SubFrom},
		{JID: "carol@localhost", Subscription: storage.SubTo},
	} {
		if _, err := roster.SetRosterItem(ctx, "localhost", "alice", it); err != nil {
			t.Fatal(err)
		}
	}
	bob := srv.Login(t, "bob", "")
	carol := srv.Login(t, "carol", "")

	// alice never logged out: nothing to say.
	servertest.CheckError(t, ask(bob, "q0", "alice@localhost"), "service-unavailable")
	// Someone without a subscription learns nothing, not even that.
	servertest.CheckError(t, ask(carol, "q1", "alice@localhost"), "forbidden")

	// A logout 903 seconds ago with a status.
	if err := srv.Store.SetLastActivity(ctx, "localhost", "alice", time.Now().Add(-903*time.Second), "Heading Home"); err != nil {
		t.Fatal(err)
	}
	if n, text := seconds(t, ask(bob, "q2", "alice@localhost")); n < 903 || n > 960 || text != "Heading Home" {
		t.Fatalf("got %d %q, want 903 and Heading Home", n, text)
	}
	servertest.CheckError(t, ask(carol, "q3", "alice@localhost"), "forbidden")

	// Online: 0 seconds, to her contacts and to herself.
	a := srv.Login(t, "alice", "desk")
	a.Send("<presence/>")
	a.Expect(func(el *stream.Element) bool { return el.Local == "presence" && el.Attr("from") == a.JID })
	if n, text := seconds(t, ask(bob, "q4", "alice@localhost")); n != 0 || text != "" {
		t.Fatalf("online: %d %q", n, text)
	}
	if n, _ := seconds(t, ask(a, "q5", "alice@localhost")); n != 0 {
		t.Fatalf("self: %d", n)
	}

	// Going unavailable with a status is a logout.
	a.Send("<presence type='unavailable'><status>Gone fishing</status></presence>")
	servertest.Sync(t, a, "sync")
	if n, text := seconds(t, ask(bob, "q6", "alice@localhost")); n > 5 || text != "Gone fishing" {
		t.Fatalf("after logout: %d %q", n, text)
	}
	at, status, err := srv.Store.LastActivity(ctx, "localhost", "alice")
	if err != nil || status != "Gone fishing" || time.Since(at) > 5*time.Second {
		t.Fatalf("stored %v %q %v", at, status, err)
	}
	servertest.CheckError(t, servertest.Exchange(bob, "q7", "<iq type='set' id='q7' to='alice@localhost'><query xmlns='jabber:iq:last'/></iq>"), "bad-request")
}
