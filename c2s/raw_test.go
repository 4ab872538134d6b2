package c2s_test

import (
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestDeliverRaw: a pre-serialized stanza reaches the client with its
// JID spliced in, and a session that never reads is cut off as a slow
// consumer when raw deliveries overflow its queue, as with Deliver.
func TestDeliverRaw(t *testing.T) {
	ts := startServer(t, serverOpts{queue: 64 << 10})
	a := ts.login(t, "alice", xmpptest.Options{})
	slow := ts.login(t, "bob", xmpptest.Options{})
	raw := func(user, res string) router.RawSession {
		s, ok := ts.router.Lookup(user+"@localhost", res)
		if !ok {
			t.Fatalf("%s/%s not bound", user, res)
		}
		rs, ok := s.(router.RawSession)
		if !ok {
			t.Fatal("c2s sessions do not implement router.RawSession")
		}
		return rs
	}
	resOf := func(full string) string { return full[strings.IndexByte(full, '/')+1:] }
	st := &router.RawStanza{
		Head:  []byte("<message from='room@conference.localhost/x' type='groupchat' to='"),
		Tail:  []byte("' id='r1'><body>a &amp; b</body></message>"),
		Proto: stream.NewElement(stream.NSClient, "message", "type", "groupchat"),
	}
	if !raw("alice", resOf(a.JID)).DeliverRaw(st, stream.EscapeAttr(nil, a.JID)) {
		t.Fatal("DeliverRaw refused")
	}
	m := a.Expect(func(el *stream.Element) bool { return el.Attr("id") == "r1" })
	if m.Attr("to") != a.JID || m.ChildText(stream.NSClient, "body") != "a & b" {
		t.Fatalf("got %s", m)
	}

	big := &router.RawStanza{Head: st.Head, Tail: []byte("' id='big'><body>" + strings.Repeat("y", 8<<10) + "</body></message>"), Proto: st.Proto}
	rs, to := raw("bob", resOf(slow.JID)), stream.EscapeAttr(nil, slow.JID)
	deadline := time.Now().Add(20 * time.Second)
	refused := false
	for !refused && time.Now().Before(deadline) {
		refused = !rs.DeliverRaw(big, to)
	}
	if !refused {
		t.Fatal("a session that never reads took raw stanzas for 20 s")
	}
	for ts.router.SessionCount() == 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := ts.router.SessionCount(); n != 1 {
		t.Fatalf("slow consumer not cut off: %d sessions", n)
	}
}
