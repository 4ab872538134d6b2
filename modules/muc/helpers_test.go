package muc_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/testpg"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/muc"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const svc = "conference.localhost"

func startMUC(t *testing.T, cfg muc.Config, users ...string) *servertest.Server {
	t.Helper()
	return startMUCOn(t, cfg, "", users...)
}

func startMUCOn(t *testing.T, cfg muc.Config, db string, users ...string) *servertest.Server {
	t.Helper()
	return startMUCWith(t, cfg, servertest.Options{DB: db, Users: users})
}

// TestMain stops the throwaway PostgreSQL cluster internal/testpg may
// start for the tests that run on PostgreSQL.
func TestMain(m *testing.M) { testpg.Main(m) }

// startMUCWith runs the module on o's store (o.Modules is set here); the
// users default to alice, bob, carol and dave.
func startMUCWith(t *testing.T, cfg muc.Config, o servertest.Options) *servertest.Server {
	t.Helper()
	if o.Users == nil {
		o.Users = []string{"alice", "bob", "carol", "dave"}
	}
	o.Modules = func(t testing.TB) []module.Module {
		m, err := muc.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return []module.Module{m}
	}
	return servertest.Start(t, o)
}

// codes returns the muc#user status codes of el.
func codes(el *stream.Element) []string {
	var out []string
	for c := range el.Child(muc.NSUser, "x").Elements() {
		if c.Is(muc.NSUser, "status") {
			out = append(out, c.Attr("code"))
		}
	}
	return out
}

func item(el *stream.Element) *stream.Element {
	return el.Child(muc.NSUser, "x").Child(muc.NSUser, "item")
}

func hasCode(el *stream.Element, c string) bool { return slices.Contains(codes(el), c) }

// selfPresence matches the presence that ends a join or leave of nick.
func selfPresence(room, nick string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "presence" && el.Attr("from") == room+"/"+nick && hasCode(el, "110")
	}
}

// presenceFrom matches a presence from room/nick of the given type.
func presenceFrom(room, nick, typ string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "presence" && el.Attr("from") == room+"/"+nick && el.Attr("type") == typ
	}
}

func errorFrom(from string) func(*stream.Element) bool {
	return func(el *stream.Element) bool { return el.Attr("type") == "error" && el.Attr("from") == from }
}

// join enters room as nick with an MUC <x/> holding extra, and returns the
// self-presence after the subject arrived (the last step of a join).
func join(t *testing.T, c *xmpptest.Client, room, nick, extra string) *stream.Element {
	t.Helper()
	c.Send("<presence to='" + attr(room+"/"+nick) + "'><x xmlns='http://jabber.org/protocol/muc'>" + extra + "</x></presence>")
	self := c.Expect(func(el *stream.Element) bool {
		if el.Attr("type") == "error" {
			t.Fatalf("join %s as %s: %s", room, nick, el)
		}
		return selfPresence(room, nick)(el)
	})
	c.Expect(isSubject(room))
	return self
}

func isSubject(room string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "message" && strings.HasPrefix(el.Attr("from"), room) && el.Child(stream.NSClient, "subject") != nil &&
			el.Child(stream.NSClient, "body") == nil
	}
}

// create makes an instant room owned by c's user.
func create(t *testing.T, c *xmpptest.Client, room, nick string) {
	t.Helper()
	c.Send("<presence to='" + attr(room+"/"+nick) + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	self := c.Expect(selfPresence(room, nick))
	if !hasCode(self, "201") {
		t.Fatalf("create %s: no 201 in %s", room, self)
	}
	c.Expect(isSubject(room))
	servertest.CheckResult(t, servertest.Exchange(c, "inst", "<iq type='set' id='inst' to='"+room+"'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"))
}

// configure submits fields (var → value) to the room's config form.
func configure(t *testing.T, c *xmpptest.Client, room string, fields map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("<iq type='set' id='cfg' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>")
	b.WriteString("<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>")
	for k, v := range fields {
		b.WriteString("<field var='" + k + "'><value>" + v + "</value></field>")
	}
	b.WriteString("</x></query></iq>")
	servertest.CheckResult(t, servertest.Exchange(c, "cfg", b.String()))
}

func groupchat(from, body string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("type") == "groupchat" && el.Attr("from") == from &&
			el.ChildText(stream.NSClient, "body") == body
	}
}

// attr escapes s for a single-quoted attribute.
func attr(s string) string { return string(stream.EscapeAttr(nil, s)) }
