package offline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/modules/offline"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func start(t *testing.T, cfg offline.Config) *servertest.Server {
	t.Helper()
	m, err := offline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartModules(t, m)
}

func count(t *testing.T, srv *servertest.Server, user string) int {
	t.Helper()
	n, err := srv.Store.(storage.Offline).CountOffline(context.Background(), servertest.Host, user)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func message(id, to, body string) string {
	return fmt.Sprintf("<message id='%s' to='%s' type='chat'><body>%s</body></message>", id, to, body)
}

// presence sends presence with a priority and waits for its reflection
// (RFC 6121 §4.2.2: the server also sends it to the user's own resources).
func presence(c *xmpptest.Client, prio int) {
	c.Send(fmt.Sprintf("<presence><priority>%d</priority></presence>", prio))
	c.Expect(func(el *stream.Element) bool { return el.Local == "presence" && el.Attr("from") == c.JID })
}

func TestStoreAndDeliver(t *testing.T) {
	srv := start(t, offline.Config{MaxMessages: 3})
	if f := srv.Disco.Features(router.TargetServer); len(f) != 1 || f[0] != offline.Feature {
		t.Fatalf("server features %v, want [%s]", f, offline.Feature)
	}
	a := srv.Login(t, "alice", "")

	// Not stored: a chat state alone is dropped silently, a no-store hint
	// is refused with service-unavailable. The first answer alice sees is
	// the refusal, so the chat state got none.
	a.Send("<message id='cs' to='bob@localhost' type='chat'><composing xmlns='" + offline.NSChatStates + "'/></message>")
	a.Send("<message id='ns' to='bob@localhost' type='chat'><body>x</body><no-store xmlns='" + offline.NSHints + "'/></message>")
	el := a.Expect(func(el *stream.Element) bool { return el.Attr("id") == "cs" || el.Attr("id") == "ns" })
	if el.Attr("id") != "ns" || servertest.ErrorCondition(el) != "service-unavailable" {
		t.Fatalf("got %s, want a service-unavailable error for ns", el)
	}
	if n := count(t, srv, "bob"); n != 0 {
		t.Fatalf("%d messages stored, want 0", n)
	}

	// Three fit (one sent to a resource that is not there, which RFC 6121
	// §8.5.3.2.1 treats as sent to the bare JID); a flood beyond is refused
	// one by one and costs nothing.
	before := time.Now().UTC().Add(-time.Second)
	a.Send(message("m1", "bob@localhost", "one"))
	a.Send(message("m2", "bob@localhost/gone", "two"))
	a.Send("<message id='m3' to='bob@localhost'><subject>three</subject><body>three</body></message>")
	const flood = 20
	for i := range flood {
		a.Send(message(fmt.Sprintf("f%d", i), "bob@localhost", "flood"))
	}
	for i := range flood {
		el := a.Expect(servertest.ID(fmt.Sprintf("f%d", i)))
		if el.Attr("type") != "error" || servertest.ErrorCondition(el) != "service-unavailable" {
			t.Fatalf("flood %d: got %s", i, el)
		}
	}
	if n := count(t, srv, "bob"); n != 3 {
		t.Fatalf("%d messages stored, want 3", n)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_offline_rejected_total", nil); got != flood {
		t.Fatalf("rejected_total = %v, want %d", got, flood)
	}

	// A negative priority gets nothing (XEP-0160 §2 step 2).
	neg := srv.Login(t, "bob", "neg")
	presence(neg, -1)
	// Initial presence with a non-negative priority gets the queue, in order.
	desk := srv.Login(t, "bob", "desk")
	presence(desk, 5)
	for _, want := range []string{"one", "two", "three"} {
		el := desk.Expect(func(el *stream.Element) bool { return el.Local == "message" })
		if got := el.ChildText(stream.NSClient, "body"); got != want {
			t.Fatalf("got message %q, want %q: %s", got, want, el)
		}
		if el.Attr("from") != a.JID {
			t.Fatalf("from %q, want %q", el.Attr("from"), a.JID)
		}
		d := el.Child(offline.NSDelay, "delay")
		if d == nil || d.Attr("from") != "localhost" {
			t.Fatalf("no delay from localhost in %s", el)
		}
		stamp, err := time.Parse(time.RFC3339, d.Attr("stamp"))
		if err != nil || stamp.Location() != time.UTC || stamp.Before(before) || stamp.After(time.Now().Add(time.Second)) {
			t.Fatalf("bad stamp %q (%v)", d.Attr("stamp"), err)
		}
	}
	// The negative resource saw none of it: its first message is a marker.
	a.Send(message("mk", neg.JID, "marker"))
	if el := neg.Expect(func(el *stream.Element) bool { return el.Local == "message" }); el.Attr("id") != "mk" {
		t.Fatalf("negative-priority resource got %s", el)
	}
	servertest.Sync(t, desk, "sync") // the delete follows the delivery on desk's goroutine
	if n := count(t, srv, "bob"); n != 0 {
		t.Fatalf("%d messages left after delivery, want 0", n)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_offline_stored_total", nil); got != 3 {
		t.Fatalf("stored_total = %v, want 3", got)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_offline_delivered_total", nil); got != 3 {
		t.Fatalf("delivered_total = %v, want 3", got)
	}

	// bob is online now: messages go straight to him, nothing is stored.
	a.Send(message("live", "bob@localhost", "live"))
	if el := desk.Expect(func(el *stream.Element) bool { return el.Local == "message" }); el.Attr("id") != "live" || el.Child(offline.NSDelay, "delay") != nil {
		t.Fatalf("live message: %s", el)
	}
}

// TestRedeliveryAfterReconnect checks that a second login with presence
// gets nothing twice, and that messages stored between logins arrive.
func TestRedeliveryAfterReconnect(t *testing.T) {
	srv := start(t, offline.DefaultConfig())
	a := srv.Login(t, "alice", "")
	// carol logs in but never sends presence: she is not available, so a
	// message to her bare JID is stored even though she is connected.
	c := srv.Login(t, "carol", "quiet")
	a.Send(message("q1", "carol@localhost", "while quiet"))
	a.Send("<message id='sync' to='nobody@localhost'><body>x</body></message>")
	a.Expect(servertest.ID("sync")) // the error for nobody comes after q1 was handled
	if n := count(t, srv, "carol"); n != 1 {
		t.Fatalf("%d stored, want 1", n)
	}
	presence(c, 0)
	if el := c.Expect(func(el *stream.Element) bool { return el.Local == "message" }); el.Attr("id") != "q1" {
		t.Fatalf("got %s", el)
	}
	c.Close()

	c2 := srv.Login(t, "carol", "again")
	presence(c2, 0)
	a.Send(message("mk", c2.JID, "marker"))
	if el := c2.Expect(func(el *stream.Element) bool { return el.Local == "message" }); el.Attr("id") != "mk" {
		t.Fatalf("second login got %s, want only the marker", el)
	}
}
