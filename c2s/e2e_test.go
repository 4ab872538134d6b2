package c2s_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestLoginAndChat logs two users in with every mechanism and transport and
// checks a message each way, with 'from' stamped to the sender's full JID.
func TestLoginAndChat(t *testing.T) {
	ts := startServer(t, serverOpts{})
	cases := []struct {
		name string
		opts xmpptest.Options
	}{
		{"SCRAM-SHA-1", xmpptest.Options{Mech: "SCRAM-SHA-1"}},
		{"SCRAM-SHA-256", xmpptest.Options{Mech: "SCRAM-SHA-256"}},
		{"SCRAM-SHA-512", xmpptest.Options{Mech: "SCRAM-SHA-512"}},
		{"SCRAM-SHA-1-PLUS exporter", xmpptest.Options{Mech: "SCRAM-SHA-1-PLUS", CB: "tls-exporter"}},
		{"SCRAM-SHA-256-PLUS exporter", xmpptest.Options{Mech: "SCRAM-SHA-256-PLUS", CB: "tls-exporter"}},
		{"SCRAM-SHA-512-PLUS exporter", xmpptest.Options{Mech: "SCRAM-SHA-512-PLUS", CB: "tls-exporter"}},
		{"SCRAM-SHA-256-PLUS endpoint", xmpptest.Options{Mech: "SCRAM-SHA-256-PLUS", CB: "tls-server-end-point"}},
		{"SCRAM-SHA-512-PLUS endpoint", xmpptest.Options{Mech: "SCRAM-SHA-512-PLUS", CB: "tls-server-end-point"}},
		{"PLAIN", xmpptest.Options{Mech: "PLAIN"}},
		{"direct TLS SCRAM-SHA-256", xmpptest.Options{Mech: "SCRAM-SHA-256", Direct: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := ts.login(t, "alice", tc.opts)
			b := ts.login(t, "bob", tc.opts)
			if !strings.HasPrefix(a.JID, "alice@localhost/") || !strings.HasPrefix(b.JID, "bob@localhost/") {
				t.Fatalf("bound JIDs %q, %q", a.JID, b.JID)
			}
			a.Send(msg(b.JID, "hi bob"))
			b.Expect(isMessageFrom(a.JID, "hi bob"))
			b.Send(msg(a.JID, "hi alice"))
			a.Expect(isMessageFrom(b.JID, "hi alice"))
			a.Close()
			b.Close()
		})
	}
}

func TestSpoofedFromIsRefused(t *testing.T) {
	ts := startServer(t, serverOpts{})
	a := ts.login(t, "alice", xmpptest.Options{})
	b := ts.login(t, "bob", xmpptest.Options{})
	c := ts.login(t, "carol", xmpptest.Options{})
	// A 'from' of the sender's own bare or full JID is accepted and stamped.
	a.Send("<message from='alice@localhost' to='" + b.JID + "' type='chat'><body>own bare</body></message>")
	b.Expect(isMessageFrom(a.JID, "own bare"))
	// Anyone else's JID ends the stream with invalid-from, and is not delivered.
	a.Send("<message from='" + c.JID + "' to='" + b.JID + "' type='chat'><body>spoof</body></message>")
	a.ExpectStreamError("invalid-from")
	// Other sessions are unaffected.
	c.Send(msg(b.JID, "still here"))
	b.Expect(isMessageFrom(c.JID, "still here"))
}

func TestBadInputEndsOnlyThatStream(t *testing.T) {
	cases := []struct {
		name, send, cond string
	}{
		{"not well-formed", "<message><body>x</bodyy></message>", "not-well-formed"},
		{"oversized stanza", "<message to='bob@localhost'><body>" + strings.Repeat("x", 70<<10) + "</body></message>", "policy-violation"},
		{"comment", "<!-- no comments -->", "restricted-xml"},
		{"undefined entity", "<message><body>&foo;</body></message>", "restricted-xml"},
		{"unknown stanza", "<foo/>", "unsupported-stanza-type"},
	}
	ts := startServer(t, serverOpts{})
	b := ts.login(t, "bob", xmpptest.Options{})
	c := ts.login(t, "carol", xmpptest.Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := ts.login(t, "alice", xmpptest.Options{Resource: "bad"})
			a.Send(tc.send)
			a.ExpectStreamError(tc.cond)
			c.Send(msg(b.JID, tc.name))
			b.Expect(isMessageFrom(c.JID, tc.name))
		})
	}
}

func TestWrongPassword(t *testing.T) {
	ts := startServer(t, serverOpts{})
	b := ts.login(t, "bob", xmpptest.Options{})
	for _, mech := range []string{"SCRAM-SHA-256", "PLAIN"} {
		t.Run(mech, func(t *testing.T) {
			for _, user := range []string{"alice", "nosuchuser"} {
				_, err := xmpptest.Connect(t, ts.starttls, xmpptest.Options{User: user, Password: "wrong", Mech: mech})
				var ae *xmpptest.AuthError
				if !errors.As(err, &ae) || ae.Condition != "not-authorized" {
					t.Fatalf("%s: got %v, want not-authorized", user, err)
				}
			}
		})
	}
	t.Run("retries then policy-violation", func(t *testing.T) {
		c, err := xmpptest.Connect(t, ts.starttls, xmpptest.Options{User: "alice", Password: "wrong", Mech: "PLAIN"})
		if err == nil {
			t.Fatal("login with a wrong password succeeded")
		}
		if err := c.Auth("PLAIN", "alice", "wrong"); err == nil {
			t.Fatal("second attempt succeeded")
		}
		// The third failure (default limit 3) also ends the stream.
		c.Auth("PLAIN", "alice", "wrong")
		c.ExpectStreamError("policy-violation")
	})
	t.Run("retry succeeds", func(t *testing.T) {
		c, err := xmpptest.Connect(t, ts.starttls, xmpptest.Options{User: "alice", Password: "wrong", Mech: "SCRAM-SHA-256"})
		if err == nil {
			t.Fatal("wrong password accepted")
		}
		if err := c.Auth("SCRAM-SHA-256", "alice", testPassword); err != nil {
			t.Fatalf("retry: %v", err)
		}
	})
	b.Send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	b.Expect(isIQ("p1"))
}

func TestPlainNeedsTLS(t *testing.T) {
	ts := startServer(t, serverOpts{})
	c, err := xmpptest.Connect(t, ts.plain, xmpptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	for m := range c.Features.Child(stream.NSSASL, "mechanisms").Elements() {
		if m.Text() == "PLAIN" || strings.HasSuffix(m.Text(), "-PLUS") {
			t.Fatalf("%s offered without TLS", m.Text())
		}
	}
	err = c.Auth("PLAIN", "alice", testPassword)
	var ae *xmpptest.AuthError
	if !errors.As(err, &ae) || ae.Condition != "encryption-required" {
		t.Fatalf("PLAIN without TLS: %v", err)
	}
}

func TestStreamHeaderErrors(t *testing.T) {
	ts := startServer(t, serverOpts{handsh: 300 * time.Millisecond})
	const ns = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
	cases := []struct{ name, header, cond string }{
		{"unknown host", "<stream:stream " + ns + " to='example.org' version='1.0'>", "host-unknown"},
		{"no to", "<stream:stream " + ns + " version='1.0'>", "host-unknown"},
		{"wrong stream namespace", "<stream:stream xmlns='jabber:client' xmlns:stream='urn:wrong' to='localhost' version='1.0'>", "invalid-namespace"},
		{"wrong content namespace", "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>", "invalid-namespace"},
		{"old version", "<stream:stream " + ns + " to='localhost'>", "unsupported-version"},
		{"version 2", "<stream:stream " + ns + " to='localhost' version='2.0'>", "unsupported-version"},
		{"bad from", "<stream:stream " + ns + " to='localhost' from='a@b@c' version='1.0'>", "invalid-from"},
		{"garbage", "hello", "not-well-formed"},
		{"doctype", "<!DOCTYPE foo>", "restricted-xml"},
		{"silence", "", "connection-timeout"},
		{"stanza before starttls", "<stream:stream " + ns + " to='localhost' version='1.0'><message/>", "policy-violation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := xmpptest.Connect(t, ts.starttls, xmpptest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			c.Send(tc.header)
			c.ExpectStreamError(tc.cond)
		})
	}
	t.Run("stanza before auth", func(t *testing.T) {
		c, _ := xmpptest.Connect(t, ts.plain, xmpptest.Options{})
		if err := c.Open(); err != nil {
			t.Fatal(err)
		}
		c.Send("<message to='bob@localhost'><body>x</body></message>")
		c.ExpectStreamError("not-authorized")
	})
}

func TestBareJIDRoutingByPriority(t *testing.T) {
	ts := startServer(t, serverOpts{})
	hi := ts.login(t, "bob", xmpptest.Options{Resource: "hi"})
	hi2 := ts.login(t, "bob", xmpptest.Options{Resource: "hi2"})
	lo := ts.login(t, "bob", xmpptest.Options{Resource: "lo"})
	neg := ts.login(t, "bob", xmpptest.Options{Resource: "neg"})
	a := ts.login(t, "alice", xmpptest.Options{})
	for _, x := range []struct {
		c    *xmpptest.Client
		prio string
	}{{hi, "5"}, {hi2, "5"}, {lo, "1"}, {neg, "-1"}} {
		// RFC 6121 §4.2.2: initial presence is also sent back to the sender,
		// which tells us the registry has it before we route.
		x.c.Send("<presence><priority>" + x.prio + "</priority></presence>")
		x.c.Expect(func(el *stream.Element) bool { return el.Local == "presence" && el.Attr("from") == x.c.JID })
	}
	a.Send(msg("bob@localhost", "to the bare JID"))
	hi.Expect(isMessageFrom(a.JID, "to the bare JID"))
	hi2.Expect(isMessageFrom(a.JID, "to the bare JID"))
	// lo and neg must not get it: send a marker to their full JIDs and check
	// it is the first message they see.
	for _, c := range []*xmpptest.Client{lo, neg} {
		a.Send(msg(c.JID, "marker"))
		el := c.Expect(func(el *stream.Element) bool { return el.Local == "message" })
		if el.ChildText(stream.NSClient, "body") != "marker" {
			t.Fatalf("%s got %s", c.JID, el)
		}
	}
	// A full JID whose resource is gone: chat falls back to the bare JID.
	a.Send(msg("bob@localhost/gone", "fallback"))
	hi.Expect(isMessageFrom(a.JID, "fallback"))
}

func TestUndeliverableErrors(t *testing.T) {
	ts := startServer(t, serverOpts{})
	a := ts.login(t, "alice", xmpptest.Options{})
	cases := []struct{ name, send, id, cond string }{
		{"message to unknown user", "<message id='e1' to='nobody@localhost' type='chat'><body>x</body></message>", "e1", "service-unavailable"},
		{"iq to unknown user", "<iq id='e2' type='get' to='nobody@localhost'><query xmlns='jabber:iq:version'/></iq>", "e2", "service-unavailable"},
		{"iq to gone resource", "<iq id='e3' type='get' to='bob@localhost/gone'><query xmlns='jabber:iq:version'/></iq>", "e3", "service-unavailable"},
		{"unhandled server iq", "<iq id='e4' type='get' to='localhost'><query xmlns='urn:example:none'/></iq>", "e4", "service-unavailable"},
		{"unhandled account iq", "<iq id='e5' type='get'><query xmlns='urn:example:none'/></iq>", "e5", "service-unavailable"},
		{"remote domain", "<message id='e6' to='x@example.org'><body>x</body></message>", "e6", "remote-server-not-found"},
		{"malformed to", "<message id='e7' to='a@b@c'><body>x</body></message>", "e7", "jid-malformed"},
		{"iq without payload", "<iq id='e8' type='get' to='localhost'/>", "e8", "bad-request"},
		{"chat to offline user", "<message id='e9' to='bob@localhost' type='chat'><body>x</body></message>", "e9", "service-unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.Send(tc.send)
			el := a.Expect(func(el *stream.Element) bool { return el.Attr("id") == tc.id })
			if el.Attr("type") != "error" || errorCondition(el) != tc.cond {
				t.Fatalf("got %s, want %s error", el, tc.cond)
			}
			if el.Attr("to") != a.JID {
				t.Fatalf("error addressed to %q, want %q", el.Attr("to"), a.JID)
			}
		})
	}
}

func TestResourceConflictReplaces(t *testing.T) {
	ts := startServer(t, serverOpts{})
	old := ts.login(t, "alice", xmpptest.Options{Resource: "desk"})
	nu := ts.login(t, "alice", xmpptest.Options{Resource: "desk"})
	old.ExpectStreamError("conflict")
	b := ts.login(t, "bob", xmpptest.Options{})
	b.Send(msg(nu.JID, "to the new one"))
	nu.Expect(isMessageFrom(b.JID, "to the new one"))
}

func TestResourceConflictRefuses(t *testing.T) {
	ts := startServer(t, serverOpts{refuse: true})
	ts.login(t, "alice", xmpptest.Options{Resource: "desk"})
	_, err := xmpptest.Connect(t, ts.starttls, xmpptest.Options{User: "alice", Password: testPassword, Mech: "PLAIN", Resource: "desk"})
	if err == nil || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("second bind: %v, want conflict", err)
	}
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, serverOpts{idle: 300 * time.Millisecond})
	a := ts.login(t, "alice", xmpptest.Options{})
	// Whitespace keepalives keep the session; silence ends it.
	for range 4 {
		a.Send(" ")
		time.Sleep(100 * time.Millisecond) // pacing the keepalives is the point of this test
	}
	a.Send("<iq type='get' id='k1'><query xmlns='urn:example:none'/></iq>")
	a.Expect(isIQ("k1"))
	a.ExpectStreamError("connection-timeout")
}

func TestShutdownSendsSystemShutdown(t *testing.T) {
	ts := startServer(t, serverOpts{})
	a := ts.login(t, "alice", xmpptest.Options{})
	pre, err := xmpptest.Connect(t, ts.starttls, xmpptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pre.Open(); err != nil {
		t.Fatal(err)
	}
	go ts.srv.Shutdown(t.Context())
	a.ExpectStreamError("system-shutdown")
	pre.ExpectStreamError("system-shutdown")
}

func TestSlowConsumerIsCutOff(t *testing.T) {
	ts := startServer(t, serverOpts{queue: 64 << 10})
	slow := ts.login(t, "alice", xmpptest.Options{})
	fast := ts.login(t, "bob", xmpptest.Options{})
	other := ts.login(t, "carol", xmpptest.Options{})
	// alice never reads; bob floods her until the server cuts her off.
	// Headlines, because once she is gone they are dropped silently
	// (RFC 6121 §8.5.2.1.2) rather than bounced back into bob's own queue.
	body := strings.Repeat("y", 8<<10)
	deadline := time.Now().Add(20 * time.Second)
	for ts.router.SessionCount() == 3 && time.Now().Before(deadline) {
		fast.Send("<message type='headline' to='" + slow.JID + "'><body>" + body + "</body></message>")
	}
	if n := ts.router.SessionCount(); n != 2 {
		t.Fatalf("slow consumer not cut off: %d sessions", n)
	}
	// bob was never blocked and still chats.
	other.Send(msg(fast.JID, "fine"))
	fast.Expect(isMessageFrom(other.JID, "fine"))
}
