package muc_test

import (
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/blocking"
	"github.com/meerkat-xmpp/meerkat/modules/muc"
	"github.com/meerkat-xmpp/meerkat/modules/vcard"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// startWith runs the MUC module with the given companions (vcard,
// blocking) on the default users.
func startWith(t *testing.T, cfg muc.Config, extra ...func() (module.Module, error)) *servertest.Server {
	t.Helper()
	return servertest.Start(t, servertest.Options{Users: []string{"alice", "bob", "carol", "dave"},
		Modules: func(t testing.TB) []module.Module {
			mods := []module.Module{mustMUC(t.(*testing.T), cfg)}
			for _, mk := range extra {
				m, err := mk()
				if err != nil {
					t.Fatal(err)
				}
				mods = append(mods, m)
			}
			return mods
		}})
}

func withVCard() (module.Module, error)    { return vcard.New(vcard.DefaultConfig()) }
func withBlocking() (module.Module, error) { return blocking.New(blocking.DefaultConfig()) }

const versionQuery = "<query xmlns='jabber:iq:version'/>"

// relayedIQ waits for the IQ request the room relays to c from room/nick.
func relayedIQ(t *testing.T, c *xmpptest.Client, room, nick string) *stream.Element {
	t.Helper()
	el := c.Expect(func(el *stream.Element) bool {
		return el.Local == "iq" && (el.Attr("type") == "get" || el.Attr("type") == "set") && el.Attr("from") == room+"/"+nick
	})
	if el.Attr("to") != c.JID {
		t.Fatalf("relayed to %q, want %q", el.Attr("to"), c.JID)
	}
	return el
}

// answer sends a version result with name to the relayed request el.
func answer(c *xmpptest.Client, el *stream.Element, name string) {
	c.Send("<iq type='result' to='" + attr(el.Attr("from")) + "' id='" + attr(el.Attr("id")) + "'><query xmlns='jabber:iq:version'><name>" + name + "</name></query></iq>")
}

// TestIQRelay: an IQ from an occupant to another occupant's JID reaches
// one session of the target from the sender's occupant JID under a fresh
// id; the answer comes back under the sender's id, and nobody but the
// target can answer in its name.
func TestIQRelay(t *testing.T) {
	srv := startWith(t, muc.DefaultConfig(), withVCard)
	room := "relay@" + svc
	a := srv.Login(t, "alice", "pc")
	create(t, a, room, "Alice")
	// Bob has two sessions under one nick: the one with the higher
	// priority gets the IQ.
	online := func(res, prio string) *xmpptest.Client {
		c := srv.Login(t, "bob", res)
		c.Send("<presence><priority>" + prio + "</priority></presence>")
		servertest.Sync(t, c, "on-"+res)
		return c
	}
	b2 := online("high", "5")
	b1 := online("low", "1")
	join(t, b2, room, "Bob", "")
	join(t, b1, room, "Bob", "")
	c := srv.Login(t, "carol", "pc")
	join(t, c, room, "Carol", "")

	a.Send("<iq type='get' id='v1' to='" + room + "/Bob'>" + versionQuery + "</iq>")
	req := relayedIQ(t, b2, room, "Alice")
	if req.Attr("id") == "v1" || req.Child("jabber:iq:version", "query") == nil {
		t.Fatalf("relayed request %s: want a fresh id and the payload", req)
	}
	answer(b2, req, "real")
	res := a.Expect(servertest.ID("v1"))
	if res.Attr("type") != "result" || res.Attr("from") != room+"/Bob" ||
		res.Child("jabber:iq:version", "query").ChildText("jabber:iq:version", "name") != "real" {
		t.Fatalf("answer %s", res)
	}

	// Spoofing: Carol answers with the id Bob got before Bob does; the
	// room drops it, and Alice gets Bob's answer only.
	a.Send("<iq type='get' id='v2' to='" + room + "/Bob'>" + versionQuery + "</iq>")
	req = relayedIQ(t, b2, room, "Alice")
	c.Send("<iq type='result' to='" + room + "/Alice' id='" + attr(req.Attr("id")) + "'><query xmlns='jabber:iq:version'><name>fake</name></query></iq>")
	servertest.Sync(t, c, "sync1")
	answer(b2, req, "real2")
	if res := a.Expect(servertest.ID("v2")); !strings.Contains(res.String(), "real2") {
		t.Fatalf("spoofed answer got through: %s", res)
	}
	// An answer is used once: Bob answering again reaches nobody (checked
	// below: Alice's next answer is to her next request).
	answer(b2, req, "again")
	servertest.Sync(t, b2, "sync2")

	// Colliding ids: Alice and Carol both ask with id 'same'; each gets
	// its own answer.
	a.Send("<iq type='get' id='same' to='" + room + "/Bob'>" + versionQuery + "</iq>")
	ra := relayedIQ(t, b2, room, "Alice")
	c.Send("<iq type='get' id='same' to='" + room + "/Bob'>" + versionQuery + "</iq>")
	rc := relayedIQ(t, b2, room, "Carol")
	if ra.Attr("id") == rc.Attr("id") {
		t.Fatalf("two requests relayed under one id %q", ra.Attr("id"))
	}
	answer(b2, rc, "for-carol")
	answer(b2, ra, "for-alice")
	if res := a.Expect(func(el *stream.Element) bool {
		if el.Attr("id") == "v2" {
			t.Fatalf("a second answer to v2 reached alice: %s", el)
		}
		return el.Attr("id") == "same"
	}); !strings.Contains(res.String(), "for-alice") {
		t.Fatalf("alice got %s", res)
	}
	if res := c.Expect(servertest.ID("same")); !strings.Contains(res.String(), "for-carol") || res.Attr("from") != room+"/Bob" {
		t.Fatalf("carol got %s", res)
	}

	// An error answer comes back as an error.
	a.Send("<iq type='set' id='e1' to='" + room + "/Carol'><query xmlns='urn:example:nothing'/></iq>")
	req = relayedIQ(t, c, room, "Alice")
	c.Send("<iq type='error' to='" + room + "/Alice' id='" + attr(req.Attr("id")) + "'><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")
	servertest.CheckError(t, a.Expect(servertest.ID("e1")), "feature-not-implemented")

	// Refusals: a non-occupant, and a nick nobody has.
	d := srv.Login(t, "dave", "pc")
	servertest.CheckError(t, servertest.Exchange(d, "n1", "<iq type='get' id='n1' to='"+room+"/Bob'>"+versionQuery+"</iq>"), "not-acceptable")
	servertest.CheckError(t, servertest.Exchange(a, "n2", "<iq type='get' id='n2' to='"+room+"/Nobody'>"+versionQuery+"</iq>"), "item-not-found")

	// vCard (XEP-0054, as XEP-0153 avatars fetch it): the request goes to
	// the occupant's account and the server answers from Bob's vCard;
	// Bob's sessions see nothing of it.
	servertest.CheckResult(t, servertest.Exchange(b1, "vs", "<iq type='set' id='vs'><vCard xmlns='vcard-temp'><FN>Robert Tables</FN></vCard></iq>"))
	vc := servertest.CheckResult(t, servertest.Exchange(a, "vc", "<iq type='get' id='vc' to='"+room+"/Bob'><vCard xmlns='vcard-temp'/></iq>"))
	if vc.ChildText("vcard-temp", "FN") != "Robert Tables" {
		t.Fatalf("vCard through the room %s", vc)
	}

	// The room's private-message rule covers relayed IQs, not vCards.
	configure(t, a, room, map[string]string{"muc#roomconfig_allowpm": "none"})
	servertest.CheckError(t, servertest.Exchange(c, "pm", "<iq type='get' id='pm' to='"+room+"/Bob'>"+versionQuery+"</iq>"), "forbidden")
	servertest.CheckResult(t, servertest.Exchange(c, "vc2", "<iq type='get' id='vc2' to='"+room+"/Bob'><vCard xmlns='vcard-temp'/></iq>"))

	// Self-ping (XEP-0410) is still answered by the room.
	servertest.CheckResult(t, servertest.Exchange(b1, "sp", "<iq type='get' id='sp' to='"+room+"/Bob'><ping xmlns='urn:xmpp:ping'/></iq>"))
	if n := servertest.Counter(t, srv.Registry, "meerkat_muc_iq_relayed_total", nil); n < 6 {
		t.Fatalf("iq_relayed_total = %v, want at least 6", n)
	}
}

// TestBlockingRoomTraffic: a user who blocks an occupant's room JID or the
// room itself (XEP-0191) gets none of its traffic from the fan-out, as
// with direct messages; unblocking lets it through again.
func TestBlockingRoomTraffic(t *testing.T) {
	srv := startWith(t, muc.DefaultConfig(), withBlocking)
	room := "noisy@" + svc
	a := srv.Login(t, "alice", "pc")
	create(t, a, room, "Alice")
	b := srv.Login(t, "bob", "pc")
	join(t, b, room, "Bob", "")
	c := srv.Login(t, "carol", "pc")
	join(t, c, room, "Carol", "")
	block := func(id, verb, j string) {
		t.Helper()
		servertest.CheckResult(t, servertest.Exchange(a, id, "<iq type='set' id='"+id+"'><"+verb+" xmlns='urn:xmpp:blocking'><item jid='"+attr(j)+"'/></"+verb+"></iq>"))
	}
	// firstFrom matches the next groupchat message from want, failing on
	// any stanza from the blocked occupant JID first.
	firstFrom := func(blocked, want, body string) func(*stream.Element) bool {
		return func(el *stream.Element) bool {
			if el.Attr("from") == blocked {
				t.Fatalf("blocked %s got through: %s", blocked, el)
			}
			return groupchat(want, body)(el)
		}
	}

	a.Expect(presenceFrom(room, "Carol", "")) // everything of Bob's before the block is read
	block("b1", "block", room+"/Bob")
	b.Send("<message to='" + room + "' type='groupchat'><body>from bob</body></message>")
	b.Send("<message to='" + room + "/Alice' type='chat'><body>psst</body></message>")
	b.Send("<presence to='" + room + "/Bob'><show>away</show></presence>")
	servertest.Sync(t, b, "s1")
	c.Send("<message to='" + room + "' type='groupchat'><body>from carol</body></message>")
	a.Expect(firstFrom(room+"/Bob", room+"/Carol", "from carol"))
	c.Expect(groupchat(room+"/Bob", "from bob")) // others still hear Bob

	block("u1", "unblock", room+"/Bob")
	b.Send("<message to='" + room + "' type='groupchat'><body>bob again</body></message>")
	a.Expect(groupchat(room+"/Bob", "bob again"))

	// Blocking the room JID stops everything from the room.
	block("b2", "block", room)
	c.Send("<message to='" + room + "' type='groupchat'><body>hidden</body></message>")
	servertest.Sync(t, c, "s2")
	block("u2", "unblock", room)
	c.Send("<message to='" + room + "' type='groupchat'><body>visible</body></message>")
	a.Expect(func(el *stream.Element) bool {
		if groupchat(room+"/Carol", "hidden")(el) {
			t.Fatalf("message through a blocked room: %s", el)
		}
		return groupchat(room+"/Carol", "visible")(el)
	})
	if n := servertest.Counter(t, srv.Registry, "meerkat_muc_deliveries_blocked_total", nil); n < 4 {
		t.Fatalf("deliveries_blocked_total = %v, want at least 4", n)
	}
}
