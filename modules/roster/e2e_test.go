package roster_test

import (
	"fmt"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/modules/roster"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestMutualSubscription walks RFC 6121 §3.1 both ways between two online
// users, checking every push and presence on both sides, then presence
// updates, going offline and coming back (the probe answered).
func TestMutualSubscription(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	b := s.Online(t, "bob", "phone", "")

	// §2.3: alice adds bob with a name and a group.
	a.Send("<iq type='set' id='add1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob'><group>Friends</group></item></query></iq>")
	got := expectAll(t, a, servertest.IQ("add1"), push("bob@localhost", "none", false))
	if got[0].Attr("type") != "result" {
		t.Fatalf("roster set: %s", got[0])
	}
	if it := servertest.PushItem(got[1]); it.Attr("name") != "Bob" ||
		it.ChildText(roster.NS, "group") != "Friends" {
		t.Fatalf("push: %s", got[1])
	}

	// §3.1.2: the request goes out from alice's bare JID.
	a.Send("<presence type='subscribe' to='bob@localhost'><status>hi, it is alice</status></presence>")
	expectAll(t, a, push("bob@localhost", "none", true))
	req := expectAll(t, b, presenceFrom("alice@localhost", "subscribe"))[0]
	if req.ChildText(req.Space, "status") != "hi, it is alice" {
		t.Fatalf("request lost its status: %s", req)
	}
	// A request is not a roster item of bob's until he answers it.
	if q := getRoster(t, b, "r1", "-"); item(q, "alice@localhost") != nil {
		t.Fatalf("pending request shown in bob's roster: %s", q)
	}

	// §3.1.5: bob approves; alice gets the push, the answer and bob's presence.
	b.Send("<presence type='subscribed' to='alice@localhost'/>")
	expectAll(t, b, push("alice@localhost", "from", false))
	expectAll(t, a, push("bob@localhost", "to", false), presenceFrom("bob@localhost", "subscribed"), presenceFrom(b.JID, ""))

	// And the other way round.
	b.Send("<presence type='subscribe' to='alice@localhost'/>")
	expectAll(t, b, push("alice@localhost", "from", true))
	expectAll(t, a, presenceFrom("bob@localhost", "subscribe"))
	a.Send("<presence type='subscribed' to='bob@localhost'/>")
	got = expectAll(t, a, push("bob@localhost", "both", false))
	if it := servertest.PushItem(got[0]); it.Attr("name") != "Bob" {
		t.Fatalf("approval lost the item's name: %s", got[0])
	}
	expectAll(t, b, push("alice@localhost", "both", false), presenceFrom("alice@localhost", "subscribed"), presenceFrom(a.JID, ""))

	// §4.4: presence updates reach the other side.
	a.Send("<presence><show>away</show></presence>")
	el := expectAll(t, b, presenceFrom(a.JID, ""))[0]
	if el.ChildText(el.Space, "show") != "away" {
		t.Fatalf("update: %s", el)
	}

	// §4.5: bob leaves without saying so; alice hears unavailable.
	b.Close()
	expectAll(t, a, presenceFrom(b.JID, "unavailable"))

	// Back online: alice hears it, and bob's probe is answered with alice's
	// current presence.
	b2 := s.Online(t, "bob", "tablet", "")
	expectAll(t, a, presenceFrom(b2.JID, ""))
	el = expectAll(t, b2, presenceFrom(a.JID, ""))[0]
	if el.ChildText(el.Space, "show") != "away" {
		t.Fatalf("probe answer: %s", el)
	}
	q := getRoster(t, b2, "r2", "-")
	if it := item(q, "alice@localhost"); it == nil || it.Attr("subscription") != "both" {
		t.Fatalf("bob's roster: %s", q)
	}
}

// TestRequestWhileOffline checks §3.1.3: a request to an offline user is
// kept and presented at each login until answered, and a flood of requests
// from one contact costs one stored item.
func TestRequestWhileOffline(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	for i := range 50 {
		a.Send(fmt.Sprintf("<presence type='subscribe' to='carol@localhost' id='s%d'/>", i))
	}
	servertest.Sync(t, a, "sync1")
	items, _, err := s.Store.RosterItems(t.Context(), "localhost", "carol")
	if err != nil || len(items) != 1 || !items[0].PendingIn || items[0].JID != "alice@localhost" {
		t.Fatalf("carol's stored roster: %+v, %v", items, err)
	}

	// The request is delivered at login, and again at the next one.
	c := s.Online(t, "carol", "one", "")
	expectAll(t, c, presenceFrom("alice@localhost", "subscribe"))
	c.Close()
	c = s.Online(t, "carol", "two", "")
	expectAll(t, c, presenceFrom("alice@localhost", "subscribe"))

	c.Send("<presence type='subscribed' to='alice@localhost'/>")
	expectAll(t, c, push("alice@localhost", "from", false))
	expectAll(t, a, push("carol@localhost", "to", false), presenceFrom("carol@localhost", "subscribed"), presenceFrom(c.JID, ""))
	items, _, _ = s.Store.RosterItems(t.Context(), "localhost", "carol")
	if len(items) != 1 || items[0].PendingIn || len(items[0].InStanza) != 0 {
		t.Fatalf("request still stored after approval: %+v", items)
	}
}

// TestDenyAndTakeBack checks §3.2 (denial) and a request taken back by
// the requester before the contact answers.
func TestDenyAndTakeBack(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	b := s.Online(t, "bob", "phone", "")

	a.Send("<presence type='subscribe' to='bob@localhost'/>")
	expectAll(t, a, push("bob@localhost", "none", true))
	expectAll(t, b, presenceFrom("alice@localhost", "subscribe"))
	b.Send("<presence type='unsubscribed' to='alice@localhost'/>")
	expectAll(t, a, push("bob@localhost", "none", false), presenceFrom("bob@localhost", "unsubscribed"))

	// alice asks again, then takes it back: bob sees the unsubscribe and
	// keeps no trace of alice.
	a.Send("<presence type='subscribe' to='bob@localhost'/>")
	expectAll(t, a, push("bob@localhost", "none", true))
	expectAll(t, b, presenceFrom("alice@localhost", "subscribe"))
	a.Send("<presence type='unsubscribe' to='bob@localhost'/>")
	expectAll(t, a, push("bob@localhost", "none", false))
	expectAll(t, b, presenceFrom("alice@localhost", "unsubscribe"))
	if _, err := s.Store.RosterItem(t.Context(), "localhost", "bob", "alice@localhost"); err == nil {
		t.Fatal("bob still stores alice's withdrawn request")
	}
}

// TestUnsubscribeAndCancel checks §3.3 (unsubscribing) and §3.2.2
// (cancelling a subscription), with the unavailable presence each implies.
func TestUnsubscribeAndCancel(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	b := s.Online(t, "bob", "phone", "")
	servertest.Befriend(t, a, b)

	// alice no longer wants bob's presence: both→from for her, both→to for
	// bob, and bob's server tells alice he is unavailable to her.
	a.Send("<presence type='unsubscribe' to='bob@localhost'/>")
	expectAll(t, a, push("bob@localhost", "from", false), presenceFrom(b.JID, "unavailable"))
	expectAll(t, b, push("alice@localhost", "to", false), presenceFrom("alice@localhost", "unsubscribe"))

	// alice cancels bob's subscription to her: from→none, to→none, and bob
	// hears she is unavailable.
	a.Send("<presence type='unsubscribed' to='bob@localhost'/>")
	expectAll(t, a, push("bob@localhost", "none", false))
	expectAll(t, b, push("alice@localhost", "none", false), presenceFrom("alice@localhost", "unsubscribed"),
		presenceFrom(a.JID, "unavailable"))

	// With no subscription left, presence changes reach nobody: bob's
	// roster shows none and a probe from him gets unsubscribed.
	q := getRoster(t, b, "r1", "-")
	if it := item(q, "alice@localhost"); it == nil || it.Attr("subscription") != "none" {
		t.Fatalf("bob's roster: %s", q)
	}
}

// TestRemove checks §2.5: removing a contact ends both subscriptions.
func TestRemove(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	b := s.Online(t, "bob", "phone", "")
	servertest.Befriend(t, a, b)

	a.Send("<iq type='set' id='rm1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' subscription='remove'/></query></iq>")
	got := expectAll(t, a, servertest.IQ("rm1"), push("bob@localhost", "remove", false))
	if got[0].Attr("type") != "result" {
		t.Fatalf("remove: %s", got[0])
	}
	expectAll(t, b, presenceFrom("alice@localhost", "unsubscribe"), presenceFrom("alice@localhost", "unsubscribed"),
		push("alice@localhost", "none", false), presenceFrom(a.JID, "unavailable"))
	if _, err := s.Store.RosterItem(t.Context(), "localhost", "alice", "bob@localhost"); err == nil {
		t.Fatal("item still stored")
	}
}

// TestPreApproval checks §3.4: the stream feature, the approved flag, and
// a pre-approved request answered without bothering the contact.
func TestPreApproval(t *testing.T) {
	s := start(t)
	b := s.Login(t, "bob", "phone")
	if b.Features.Child(roster.NSPreApproval, "sub") == nil || b.Features.Child(roster.NSVersioning, "ver") == nil {
		t.Fatalf("stream features: %s", b.Features)
	}
	getRoster(t, b, "r0", "-")
	b.Send("<presence/>")
	b.Expect(presenceFrom(b.JID, ""))
	a := s.Online(t, "alice", "desk", "")

	b.Send("<presence type='subscribed' to='alice@localhost'/>")
	got := expectAll(t, b, push("alice@localhost", "none", false))
	if it := servertest.PushItem(got[0]); it.Attr("approved") != "true" {
		t.Fatalf("pre-approval push: %s", got[0])
	}

	a.Send("<presence type='subscribe' to='bob@localhost'/>")
	expectAll(t, a, push("bob@localhost", "none", true), push("bob@localhost", "to", false),
		presenceFrom("bob@localhost", "subscribed"), presenceFrom(b.JID, ""))
	got = expectAll(t, b, push("alice@localhost", "from", false))
	if it := servertest.PushItem(got[0]); it.Attr("approved") != "" {
		t.Fatalf("approval still flagged: %s", got[0])
	}
	// bob was never asked: the first presence stanza he sees from alice's
	// bare JID must not be a subscribe. A message marks the end.
	a.Send("<message to='" + b.JID + "' type='chat'><body>end</body></message>")
	for {
		el, err := b.NextElement()
		if err != nil {
			t.Fatal(err)
		}
		if el.Local == "presence" && el.Attr("type") == "subscribe" {
			t.Fatalf("pre-approved request delivered: %s", el)
		}
		if el.Local == "message" {
			break
		}
	}
}

// TestVersioning checks XEP-0237 end to end.
func TestVersioning(t *testing.T) {
	s := start(t)
	a := s.Login(t, "alice", "desk")
	q := getRoster(t, a, "v1", "")
	a.Send("<iq type='set' id='add1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query></iq>")
	p := expectAll(t, a, servertest.IQ("add1"), push("bob@localhost", "none", false))[1]
	v1 := p.Child(roster.NS, "query").Attr("ver")
	if v1 == "" {
		t.Fatalf("push without ver: %s (first get %v)", p, q)
	}
	if q := getRoster(t, a, "v2", v1); q != nil {
		t.Fatalf("current version answered with %s, want an empty result", q)
	}
	a.Send("<iq type='set' id='add2'><query xmlns='jabber:iq:roster'><item jid='carol@localhost'/></query></iq>")
	p = expectAll(t, a, servertest.IQ("add2"), push("carol@localhost", "none", false))[1]
	v2 := p.Child(roster.NS, "query").Attr("ver")
	if v2 == "" || v2 == v1 {
		t.Fatalf("versions %q then %q", v1, v2)
	}
	q = getRoster(t, a, "v3", v1)
	if q == nil || q.Attr("ver") != v2 || q.ChildCount() != 2 {
		t.Fatalf("stale version answered %v", q)
	}
}

// TestRosterFullRefusesRequests checks that pending requests count against
// max_items.
func TestRosterFullRefusesRequests(t *testing.T) {
	cfg := roster.DefaultConfig()
	cfg.MaxItems = 5
	s := startWith(t, cfg)
	for i := range cfg.MaxItems {
		if _, err := s.Store.SetRosterItem(t.Context(), "localhost", "carol",
			storage.RosterItem{JID: fmt.Sprintf("u%d@localhost", i), Subscription: storage.SubNone}); err != nil {
			t.Fatal(err)
		}
	}
	a := s.Online(t, "alice", "desk", "")
	a.Send("<presence type='subscribe' to='carol@localhost' id='full1'/>")
	el := a.Expect(func(el *stream.Element) bool { return el.Local == "presence" && el.Attr("id") == "full1" })
	if el.Attr("type") != "error" || servertest.ErrorCondition(el) != "resource-constraint" {
		t.Fatalf("request to a full roster: %s", el)
	}
	if _, err := s.Store.RosterItem(t.Context(), "localhost", "carol", "alice@localhost"); err == nil {
		t.Fatal("request stored past max_items")
	}
}

// TestRequestToUnknownUser checks §8.5.1: a request to an account that does
// not exist is answered with unsubscribed and leaves nothing stored.
func TestRequestToUnknownUser(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	a.Send("<presence type='subscribe' to='nobody@localhost'/>")
	expectAll(t, a, push("nobody@localhost", "none", true), presenceFrom("nobody@localhost", "unsubscribed"),
		push("nobody@localhost", "none", false))
	items, _, err := s.Store.RosterItems(t.Context(), "localhost", "nobody")
	if err != nil || len(items) != 0 {
		t.Fatalf("stored for a missing account: %+v, %v", items, err)
	}
}

// TestSubscribeAgainIsAnswered checks §3.1.3: a request from a contact who
// is already subscribed is answered by the server, not shown to the user.
func TestSubscribeAgainIsAnswered(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	b := s.Online(t, "bob", "phone", "")
	servertest.Befriend(t, a, b)
	// The automatic subscribed changes nothing for bob, whose server already
	// has him subscribed (A.3.3 "Both": not delivered), but he gets alice's
	// presence again.
	b.Send("<presence type='subscribe' to='alice@localhost'/>")
	expectAll(t, b, presenceFrom(a.JID, ""))
	b.Send("<message type='chat' to='" + a.JID + "'><body>marker</body></message>")
	for {
		el, err := a.NextElement()
		if err != nil {
			t.Fatal(err)
		}
		if el.Local == "presence" && el.Attr("type") == "subscribe" {
			t.Fatalf("request shown again: %s", el)
		}
		if el.Local == "message" {
			break
		}
	}
	// Had bob's server lost his side, the automatic answer repairs it.
	if _, err := s.Store.DeleteRosterItem(t.Context(), "localhost", "bob", "alice@localhost"); err != nil {
		t.Fatal(err)
	}
	b.Send("<presence type='subscribe' to='alice@localhost'/>")
	expectAll(t, b, push("alice@localhost", "none", true), push("alice@localhost", "to", false),
		presenceFrom("alice@localhost", "subscribed"), presenceFrom(a.JID, ""))
}

// TestPushesOnlyToInterested checks §2.2: pushes go to the resources that
// fetched the roster, not to every bound resource.
func TestPushesOnlyToInterested(t *testing.T) {
	s := start(t)
	a1 := s.Login(t, "alice", "one")
	getRoster(t, a1, "r1", "-")
	a2 := s.Login(t, "alice", "two")
	a1.Send("<iq type='set' id='add1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query></iq>")
	expectAll(t, a1, servertest.IQ("add1"), push("bob@localhost", "none", false))
	a1.Send("<message type='chat' to='" + a2.JID + "'><body>marker</body></message>")
	el, err := a2.NextElement()
	if err != nil || el.Local != "message" {
		t.Fatalf("uninterested resource got %v, %v; want only the marker", el, err)
	}
	// Once it asks, it is interested.
	getRoster(t, a2, "r2", "-")
	a1.Send("<iq type='set' id='add2'><query xmlns='jabber:iq:roster'><item jid='carol@localhost'/></query></iq>")
	expectAll(t, a2, push("carol@localhost", "none", false))
}
