package presence_test

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestUnavailableAndBack checks §4.5 and §4.2 within one session: an
// explicit unavailable reaches the contact, and the next available is
// initial presence again, so the contact's presence is probed anew.
func TestUnavailableAndBack(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	b := s.Online(t, "bob", "phone", "")
	servertest.Befriend(t, a, b)

	a.Send("<presence type='unavailable'><status>gone fishing</status></presence>")
	el := expectAll(t, b, presenceFrom(a.JID, "unavailable"))[0]
	if el.ChildText(el.Space, "status") != "gone fishing" {
		t.Fatalf("unavailable lost its status: %s", el)
	}
	a.Send("<presence><show>chat</show></presence>")
	expectAll(t, b, presenceFrom(a.JID, ""))
	expectAll(t, a, presenceFrom(b.JID, ""))

	// A session that just disconnects is reported unavailable too, and
	// logging in again probes the contact.
	a.Close()
	expectAll(t, b, presenceFrom(a.JID, "unavailable"))
	a2 := s.Online(t, "alice", "laptop", "")
	expectAll(t, b, presenceFrom(a2.JID, ""))
	expectAll(t, a2, presenceFrom(b.JID, ""))
}

// TestPriorities checks that three resources of one user, one of them
// with a negative priority (§4.7.2.3), all get broadcasts from a contact
// and see one another.
func TestPriorities(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	hi := s.Online(t, "bob", "hi", "5")
	servertest.Befriend(t, a, hi)

	lo := s.Online(t, "bob", "lo", "1")
	expectAll(t, a, presenceFrom(lo.JID, ""))
	expectAll(t, lo, presenceFrom(a.JID, ""), presenceFrom(hi.JID, ""))
	expectAll(t, hi, presenceFrom(lo.JID, ""))

	neg := s.Online(t, "bob", "neg", "-1")
	el := expectAll(t, a, presenceFrom(neg.JID, ""))[0]
	if el.ChildText(el.Space, "priority") != "-1" {
		t.Fatalf("priority not broadcast: %s", el)
	}
	expectAll(t, neg, presenceFrom(a.JID, ""), presenceFrom(hi.JID, ""), presenceFrom(lo.JID, ""))
	expectAll(t, hi, presenceFrom(neg.JID, ""))
	expectAll(t, lo, presenceFrom(neg.JID, ""))

	// Probe answers go to the bare JID, so earlier resources may see
	// alice's presence again before the update: wait for the update itself.
	a.Send("<presence><status>lunch</status></presence>")
	for _, c := range []*xmpptest.Client{hi, lo, neg} {
		c.Expect(func(el *stream.Element) bool {
			return presenceFrom(a.JID, "")(el) && el.ChildText(el.Space, "status") == "lunch"
		})
	}

	neg.Send("<presence type='unavailable'/>")
	expectAll(t, a, presenceFrom(neg.JID, "unavailable"))
	expectAll(t, hi, presenceFrom(neg.JID, "unavailable"))
	expectAll(t, lo, presenceFrom(neg.JID, "unavailable"))
}

// TestDirectedPresence checks §4.6: entities that got directed presence
// hear unavailable when the session ends, unless it already told them.
func TestDirectedPresence(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	b := s.Online(t, "bob", "phone", "")
	c := s.Online(t, "carol", "home", "")

	a.Send("<presence to='carol@localhost'><status>psst</status></presence>")
	expectAll(t, c, presenceFrom(a.JID, ""))
	a.Send("<presence to='" + b.JID + "'/>")
	expectAll(t, b, presenceFrom(a.JID, ""))
	a.Send("<presence type='unavailable' to='" + b.JID + "'/>")
	expectAll(t, b, presenceFrom(a.JID, "unavailable"))

	a.Close()
	expectAll(t, c, presenceFrom(a.JID, "unavailable"))
	// bob was told already: the next thing he gets from anyone is the marker.
	c.Send("<message type='chat' to='" + b.JID + "'><body>marker</body></message>")
	el, err := b.NextElement()
	if err != nil || !isMessage("marker")(el) {
		t.Fatalf("bob got %v, %v; want only the marker", el, err)
	}

	// A session that never sent initial presence still owes its directed
	// peers an unavailable when it ends.
	a2 := s.Login(t, "alice", "quiet")
	a2.Send("<presence to='" + c.JID + "'/>")
	expectAll(t, c, presenceFrom(a2.JID, ""))
	a2.Close()
	expectAll(t, c, presenceFrom(a2.JID, "unavailable"))
}

// TestProbes checks §4.3: a subscriber's probe is answered with the last
// presence of each available resource, probes never reach clients, and a
// probe from an entity with no subscription is answered with unsubscribed,
// which repairs its stale roster.
func TestProbes(t *testing.T) {
	s := start(t)
	a := s.Online(t, "alice", "desk", "")
	a2 := s.Online(t, "alice", "phone", "")
	expectAll(t, a, presenceFrom(a2.JID, ""))
	b := s.Online(t, "bob", "phone", "")
	servertest.Befriend(t, a, b)
	expectAll(t, b, presenceFrom(a2.JID, "")) // a2 is available too

	b.Send("<presence type='probe' to='alice@localhost'/>")
	expectAll(t, b, presenceFrom(a.JID, ""), presenceFrom(a2.JID, ""))
	// To a full JID, only that resource answers.
	b.Send("<presence type='probe' to='" + a2.JID + "'/>")
	expectAll(t, b, presenceFrom(a2.JID, ""))

	// carol believes she is subscribed to alice; alice's server disagrees.
	if _, err := s.Store.SetRosterItem(t.Context(), "localhost", "carol",
		storage.RosterItem{JID: "alice@localhost", Subscription: storage.SubTo}); err != nil {
		t.Fatal(err)
	}
	c := s.Online(t, "carol", "home", "")
	// Her initial presence probed alice: the answer is unsubscribed, which
	// moves her item to none.
	expectAll(t, c, presenceFrom("alice@localhost", "unsubscribed"), servertest.Push("alice@localhost", "none", false))

	// alice's clients never saw a probe.
	b.Send("<message type='chat' to='" + a.JID + "'><body>marker</body></message>")
	for {
		el, err := a.NextElement()
		if err != nil {
			t.Fatal(err)
		}
		if el.Local == "presence" && el.Attr("type") == "probe" {
			t.Fatalf("probe delivered: %s", el)
		}
		if isMessage("marker")(el) {
			break
		}
	}
}
