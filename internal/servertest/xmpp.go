package servertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Matcher selects an element a test waits for.
type Matcher = func(*stream.Element) bool

const nsRoster = "jabber:iq:roster"

// ExpectAll reads from c until every matcher has matched one element, in
// any order, skipping the others, and returns the matches in matcher order.
func ExpectAll(t testing.TB, c *xmpptest.Client, ms ...Matcher) []*stream.Element {
	t.Helper()
	got := make([]*stream.Element, len(ms))
	left := len(ms)
	for left > 0 {
		el, err := c.NextElement()
		if err != nil {
			var want []string
			for i := range ms {
				if got[i] == nil {
					want = append(want, fmt.Sprint(i))
				}
			}
			t.Fatalf("%s: still waiting for matchers %s: %v", c.JID, strings.Join(want, ","), err)
		}
		for i, m := range ms {
			if got[i] == nil && m(el) {
				got[i] = el
				left--
				break
			}
		}
	}
	return got
}

// Push matches a roster push (RFC 6121 §2.1.6) of jid with the given
// subscription and pending-out flag.
func Push(jid, sub string, ask bool) Matcher {
	return func(el *stream.Element) bool {
		if el.Local != "iq" || el.Attr("type") != "set" {
			return false
		}
		it := el.Child(nsRoster, "query").Child(nsRoster, "item")
		return it != nil && it.Attr("jid") == jid && it.Attr("subscription") == sub &&
			(it.Attr("ask") == "subscribe") == ask
	}
}

// PushItem returns the item of a roster push.
func PushItem(el *stream.Element) *stream.Element {
	return el.Child(nsRoster, "query").Child(nsRoster, "item")
}

// Item returns the item for jid in a roster query, or nil.
func Item(q *stream.Element, jid string) *stream.Element {
	for it := range q.Elements() {
		if it.Attr("jid") == jid {
			return it
		}
	}
	return nil
}

// GetRoster fetches the roster, which makes c an interested resource, and
// returns the result's query: nil for an empty result (XEP-0237). ver "-"
// sends no ver attribute.
func GetRoster(t testing.TB, c *xmpptest.Client, id, ver string) *stream.Element {
	t.Helper()
	attr := ""
	if ver != "-" {
		attr = " ver='" + ver + "'"
	}
	c.Send("<iq type='get' id='" + id + "'><query xmlns='jabber:iq:roster'" + attr + "/></iq>")
	el := c.Expect(IQ(id))
	if el.Attr("type") != "result" {
		t.Fatalf("roster get: %s", el)
	}
	return el.Child(nsRoster, "query")
}

// Online logs user in on resource, fetches the roster and sends initial
// presence (with a priority unless ""), waiting for its own echo.
func (s *Server) Online(t testing.TB, user, resource, priority string) *xmpptest.Client {
	t.Helper()
	c := s.Login(t, user, resource)
	GetRoster(t, c, "roster0", "-")
	p := "<presence/>"
	if priority != "" {
		p = "<presence><priority>" + priority + "</priority></presence>"
	}
	c.Send(p)
	c.Expect(Presence(c.JID, ""))
	return c
}

// Sync waits until the server has handled everything c sent before.
func Sync(t testing.TB, c *xmpptest.Client, id string) {
	t.Helper()
	c.Send("<iq type='get' id='" + id + "'><ping xmlns='urn:xmpp:ping'/></iq>")
	c.Expect(IQ(id))
}

// Befriend subscribes two online, interested clients to each other (RFC
// 6121 §3.1 both ways), checking the pushes and presence on both sides.
func Befriend(t testing.TB, a, b *xmpptest.Client) {
	t.Helper()
	ab, bb := Bare(a.JID), Bare(b.JID)
	a.Send("<presence type='subscribe' to='" + bb + "'/>")
	ExpectAll(t, a, Push(bb, "none", true))
	ExpectAll(t, b, Presence(ab, "subscribe"))
	b.Send("<presence type='subscribed' to='" + ab + "'/>")
	ExpectAll(t, b, Push(ab, "from", false))
	ExpectAll(t, a, Push(bb, "to", false), Presence(bb, "subscribed"), Presence(b.JID, ""))
	b.Send("<presence type='subscribe' to='" + ab + "'/>")
	ExpectAll(t, b, Push(ab, "from", true))
	ExpectAll(t, a, Presence(bb, "subscribe"))
	a.Send("<presence type='subscribed' to='" + bb + "'/>")
	ExpectAll(t, a, Push(bb, "both", false))
	ExpectAll(t, b, Push(ab, "both", false), Presence(ab, "subscribed"), Presence(a.JID, ""))
}
