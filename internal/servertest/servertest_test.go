package servertest_test

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/router"
)

// TestServer starts a server without modules: the router answers what no
// module handles, which Exchange matches by stanza kind and id.
func TestServer(t *testing.T) {
	srv := servertest.Start(t, servertest.Options{Users: []string{"dave"}})
	c := srv.Login(t, "dave", "desk")
	if got := servertest.Bare(c.JID); got != "dave@"+servertest.Host {
		t.Fatalf("bound %q", c.JID)
	}
	servertest.CheckError(t, servertest.Exchange(c, "q1",
		"<iq type='get' id='q1' to='localhost'><query xmlns='urn:example:none'/></iq>"), "service-unavailable")
	el := servertest.Exchange(c, "m1", "<message id='m1' to='nobody@localhost'><body>x</body></message>")
	if el.Local != "message" || servertest.ErrorCondition(el) != "service-unavailable" {
		t.Fatalf("got %s, want a service-unavailable message error", el)
	}
	servertest.Sync(t, c, "sync")
	if f := srv.Disco.Features(router.TargetServer); len(f) != 0 {
		t.Errorf("features %v without modules", f)
	}
	if n := servertest.Counter(t, srv.Registry, "meerkat_none_total", nil); n != 0 {
		t.Errorf("counter %v", n)
	}
}
