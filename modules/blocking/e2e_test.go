package blocking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/modules/blocking"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func start(t *testing.T) *servertest.Server {
	t.Helper()
	m, err := blocking.New(blocking.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartModules(t, m)
}

func items(el *stream.Element) []string {
	var out []string
	for it := range el.Elements() {
		out = append(out, it.Attr("jid"))
	}
	return out
}

// available sends presence and waits for the server to reflect it back.
func available(c *xmpptest.Client) {
	c.Send("<presence><status>here</status></presence>")
	c.Expect(func(el *stream.Element) bool { return el.Local == "presence" && el.Attr("from") == c.JID })
}

func isMessage(el *stream.Element) bool { return el.Local == "message" }

// firstMessage fails unless the next message c gets has the given id;
// everything before it that is not a message is skipped. Tests send a
// marker after what must not arrive and check the marker comes first.
func firstMessage(t *testing.T, c *xmpptest.Client, id string) {
	t.Helper()
	if el := c.Expect(isMessage); el.Attr("id") != id {
		t.Fatalf("%s got %s before marker %s", c.JID, el, id)
	}
}

func isPush(op string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "iq" && el.Attr("type") == "set" && el.Child(blocking.NS, op) != nil
	}
}

func TestBlockingCommand(t *testing.T) {
	srv := start(t)
	ctx := context.Background()
	if f := srv.Disco.Features(router.TargetServer); !slices.Contains(f, blocking.NS) {
		t.Fatalf("server features %v lack %s", f, blocking.NS)
	}
	// bob may see alice's presence (XEP-0191 §3.3 sends him unavailable).
	if _, err := srv.Store.(storage.Roster).SetRosterItem(ctx, "localhost", "alice",
		storage.RosterItem{JID: "bob@localhost", Subscription: storage.SubBoth}); err != nil {
		t.Fatal(err)
	}
	desk := srv.Login(t, "alice", "desk")
	phone := srv.Login(t, "alice", "phone")
	bob := srv.Login(t, "bob", "b")
	carol1 := srv.Login(t, "carol", "one")
	carol2 := srv.Login(t, "carol", "two")
	available(bob)
	available(desk)
	available(phone)

	// §3.2: the list starts empty; desk asks for it and so gets pushes.
	res := servertest.Exchange(desk, "l1", "<iq type='get' id='l1'><blocklist xmlns='urn:xmpp:blocking'/></iq>")
	if p := servertest.CheckResult(t, res); !p.Is(blocking.NS, "blocklist") || len(items(p)) != 0 {
		t.Fatalf("initial list: %s", res)
	}
	// Someone else cannot read or change it.
	servertest.CheckError(t, servertest.Exchange(bob, "x1",
		"<iq type='get' id='x1' to='alice@localhost'><blocklist xmlns='urn:xmpp:blocking'/></iq>"), "forbidden")
	servertest.CheckError(t, servertest.Exchange(desk, "x2",
		"<iq type='set' id='x2'><block xmlns='urn:xmpp:blocking'/></iq>"), "bad-request")
	servertest.CheckError(t, servertest.Exchange(desk, "x3",
		"<iq type='set' id='x3'><block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block></iq>"), "jid-malformed")

	// §3.3: block bob and one resource of carol.
	desk.Send("<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/><item jid='carol@localhost/one'/></block></iq>")
	push := desk.Expect(isPush("block"))
	if got := items(push.FirstChild()); !slices.Equal(got, []string{"bob@localhost", "carol@localhost/one"}) {
		t.Fatalf("push items %v", got)
	}
	if push.Attr("to") != desk.JID || push.Attr("from") != "alice@localhost" {
		t.Fatalf("push addressed from %q to %q", push.Attr("from"), push.Attr("to"))
	}
	servertest.CheckResult(t, desk.Expect(servertest.ID("b1")))
	// bob hears alice go offline, from each available resource.
	var gone []string
	for range 2 {
		el := bob.Expect(func(el *stream.Element) bool {
			return el.Local == "presence" && el.Attr("type") == "unavailable"
		})
		gone = append(gone, el.Attr("from"))
	}
	slices.Sort(gone)
	if want := []string{desk.JID, phone.JID}; !slices.Equal(gone, want) {
		t.Fatalf("unavailable from %v, want %v", gone, want)
	}
	// phone never asked for the list: no push, its first stanza of
	// interest is a marker.
	carol2.Send("<message id='mk1' to='" + phone.JID + "'><body>marker</body></message>")
	if el := phone.Expect(func(el *stream.Element) bool { return isMessage(el) || isPush("block")(el) }); el.Attr("id") != "mk1" {
		t.Fatalf("phone got %s before the marker", el)
	}

	// Inbound (from bob): messages and IQ requests get service-unavailable,
	// presence and IQ results vanish, and alice sees nothing.
	tests := []struct{ name, id, send string }{
		{"message to bare", "i1", "<message id='i1' to='alice@localhost' type='chat'><body>hi</body></message>"},
		{"message to full", "i2", "<message id='i2' to='" + desk.JID + "' type='chat'><body>hi</body></message>"},
		{"iq to full", "i3", "<iq id='i3' type='get' to='" + desk.JID + "'><query xmlns='jabber:iq:version'/></iq>"},
		{"iq to bare", "i4", "<iq id='i4' type='get' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>"},
	}
	for _, tc := range tests {
		t.Run("inbound "+tc.name, func(t *testing.T) {
			bob.Send(tc.send)
			el := bob.Expect(servertest.ID(tc.id))
			if el.Attr("type") != "error" || servertest.ErrorCondition(el) != "service-unavailable" {
				t.Fatalf("got %s, want service-unavailable", el)
			}
		})
	}
	bob.Send("<presence to='" + desk.JID + "'/>")
	bob.Send("<presence type='subscribe' to='alice@localhost'/>")
	bob.Send("<iq type='result' id='r1' to='" + desk.JID + "'/>")
	bob.Send("<message id='e1' type='error' to='" + desk.JID + "'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")
	servertest.Sync(t, bob, "sync")
	carol2.Send("<message id='mk2' to='" + desk.JID + "'><body>marker</body></message>")
	if el := desk.Expect(func(el *stream.Element) bool {
		return isMessage(el) || strings.HasPrefix(el.Attr("from"), "bob@")
	}); el.Attr("id") != "mk2" {
		t.Fatalf("desk got %s from a blocked JID", el)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_blocking_stanzas_blocked_total", map[string]string{"direction": "inbound", "kind": "presence"}); got != 2 {
		t.Fatalf("inbound presence blocked = %v, want 2", got)
	}

	// Outbound (to bob): not-acceptable with <blocked/>; presence vanishes.
	el := servertest.Exchange(desk, "o1", "<message id='o1' to='bob@localhost' type='chat'><body>hi</body></message>")
	if servertest.ErrorCondition(el) != "not-acceptable" || el.Child(stream.NSClient, "error").Child(blocking.NSErrors, "blocked") == nil {
		t.Fatalf("outbound message: %s", el)
	}
	servertest.CheckError(t, servertest.Exchange(phone, "o2",
		"<iq id='o2' type='get' to='"+bob.JID+"'><ping xmlns='urn:xmpp:ping'/></iq>"), "not-acceptable")
	desk.Send("<presence to='bob@localhost'/>")
	servertest.Sync(t, desk, "sync")
	carol2.Send("<message id='mk3' to='" + bob.JID + "'><body>marker</body></message>")
	if el := bob.Expect(func(el *stream.Element) bool { return isMessage(el) || el.Local == "presence" }); el.Attr("id") != "mk3" {
		t.Fatalf("bob got %s", el)
	}

	// A full-JID item blocks that resource only.
	carol1.Send("<message id='c1' to='" + desk.JID + "'><body>from one</body></message>")
	if el := carol1.Expect(servertest.ID("c1")); servertest.ErrorCondition(el) != "service-unavailable" {
		t.Fatalf("blocked resource got %s", el)
	}
	carol2.Send("<message id='c2' to='" + desk.JID + "'><body>from two</body></message>")
	firstMessage(t, desk, "c2")

	// The list survives the session: a new login reads it from storage.
	res = servertest.Exchange(phone, "l2", "<iq type='get' id='l2'><blocklist xmlns='urn:xmpp:blocking'/></iq>")
	if got := items(servertest.CheckResult(t, res)); !slices.Equal(got, []string{"bob@localhost", "carol@localhost/one"}) {
		t.Fatalf("list %v", got)
	}

	// §3.4: unblock bob; both resources now asked for the list, so both get
	// the push, and bob gets alice's current presence back.
	desk.Send("<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></unblock></iq>")
	for _, c := range []*xmpptest.Client{desk, phone} {
		if got := items(c.Expect(isPush("unblock")).FirstChild()); !slices.Equal(got, []string{"bob@localhost"}) {
			t.Fatalf("unblock push %v", got)
		}
	}
	servertest.CheckResult(t, desk.Expect(servertest.ID("u1")))
	var back []string
	for range 2 {
		el := bob.Expect(func(el *stream.Element) bool { return el.Local == "presence" && el.Attr("type") == "" })
		if el.ChildText(stream.NSClient, "status") != "here" || el.Attr("to") != "bob@localhost" {
			t.Fatalf("presence after unblock: %s", el)
		}
		back = append(back, el.Attr("from"))
	}
	slices.Sort(back)
	if want := []string{desk.JID, phone.JID}; !slices.Equal(back, want) {
		t.Fatalf("presence from %v, want %v", back, want)
	}
	bob.Send("<message id='ok1' to='" + desk.JID + "'><body>back</body></message>")
	firstMessage(t, desk, "ok1")

	// §3.5: unblock all.
	desk.Send("<iq type='set' id='u2'><unblock xmlns='urn:xmpp:blocking'/></iq>")
	if p := desk.Expect(isPush("unblock")).FirstChild(); len(items(p)) != 0 {
		t.Fatalf("unblock-all push carries items: %s", p)
	}
	servertest.CheckResult(t, desk.Expect(servertest.ID("u2")))
	carol1.Send("<message id='ok2' to='" + desk.JID + "'><body>unblocked</body></message>")
	firstMessage(t, desk, "ok2")
	if got, err := srv.Store.(storage.Blocklists).Blocklist(ctx, "localhost", "alice"); err != nil || len(got) != 0 {
		t.Fatalf("stored list after unblock all: %v, %v", got, err)
	}
}

// TestBlockWhileOffline checks enforcement for a recipient with no session:
// the list comes from storage.
func TestBlockWhileOffline(t *testing.T) {
	srv := start(t)
	ctx := context.Background()
	if err := srv.Store.(storage.Blocklists).Block(ctx, "localhost", "alice", []string{"bob@localhost"}); err != nil {
		t.Fatal(err)
	}
	bob := srv.Login(t, "bob", "")
	for i := range 3 {
		id := fmt.Sprintf("m%d", i)
		el := servertest.Exchange(bob, id, "<message id='"+id+"' to='alice@localhost' type='chat'><body>hi</body></message>")
		if servertest.ErrorCondition(el) != "service-unavailable" {
			t.Fatalf("got %s", el)
		}
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_blocking_stanzas_blocked_total", map[string]string{"direction": "inbound", "kind": "message"}); got != 3 {
		t.Fatalf("blocked_total = %v, want 3 (the block list was not applied)", got)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_blocking_list_loads_total", nil); got != 2 {
		t.Fatalf("list_loads_total = %v, want 2 (bob at login, alice once)", got)
	}
	// Others still get through.
	carol := srv.Login(t, "carol", "")
	alice := srv.Login(t, "alice", "")
	available(alice)
	carol.Send("<message id='c1' to='alice@localhost'><body>hi</body></message>")
	firstMessage(t, alice, "c1")
}
