package c2s_test

import (
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
)

const parkedGauge = "meerkat_c2s_parked_sessions"

// parkedServer parks bound sessions after 50 ms of silence.
func parkedServer(t *testing.T, o serverOpts) *testServer {
	o.park = 50 * time.Millisecond
	return startServer(t, o)
}

func (ts *testServer) waitParked(t *testing.T, n float64) {
	t.Helper()
	waitFor(t, "parked sessions", func() bool { return ts.gauge(t, parkedGauge) == n })
}

func TestParkedSessionsChat(t *testing.T) {
	ts := parkedServer(t, serverOpts{})
	a := ts.login(t, "alice", xmpptest.Options{})
	b := ts.login(t, "bob", xmpptest.Options{Direct: true})
	ts.waitParked(t, 2)
	// Output to a parked session needs no reader; input wakes it.
	for i, body := range []string{"one", "two", "three"} {
		b.Send(msg(a.JID, body))
		a.Expect(isMessageFrom(b.JID, body))
		a.Send(msg(b.JID, body+" back"))
		b.Expect(isMessageFrom(a.JID, body+" back"))
		ts.waitParked(t, 2)
		if i == 1 {
			time.Sleep(120 * time.Millisecond) // let both park and stay parked a while
		}
	}
	// A stanza split across reads with a park in between still decodes.
	a.SendRaw("<message to='" + b.JID + "' type='chat'><bo")
	ts.waitParked(t, 2)
	a.SendRaw("dy>split</body></message>")
	b.Expect(isMessageFrom(a.JID, "split"))
}

func TestParkedSessionEnds(t *testing.T) {
	t.Run("replaced by a new login", func(t *testing.T) {
		ts := parkedServer(t, serverOpts{})
		old := ts.login(t, "alice", xmpptest.Options{Resource: "desk"})
		ts.waitParked(t, 1)
		nu := ts.login(t, "alice", xmpptest.Options{Resource: "desk"})
		old.ExpectStreamError("conflict")
		b := ts.login(t, "bob", xmpptest.Options{})
		b.Send(msg(nu.JID, "to the new one"))
		nu.Expect(isMessageFrom(b.JID, "to the new one"))
		waitFor(t, "old session gone", func() bool { return ts.router.SessionCount() == 2 })
	})
	t.Run("idle timeout", func(t *testing.T) {
		ts := parkedServer(t, serverOpts{idle: 400 * time.Millisecond})
		a := ts.login(t, "alice", xmpptest.Options{})
		ts.waitParked(t, 1)
		a.ExpectStreamError("connection-timeout")
		waitFor(t, "session gone", func() bool { return ts.router.SessionCount() == 0 })
		if g := ts.gauge(t, parkedGauge); g != 0 {
			t.Fatalf("parked gauge %v after timeout", g)
		}
	})
	t.Run("peer hangs up", func(t *testing.T) {
		ts := parkedServer(t, serverOpts{})
		a := ts.login(t, "alice", xmpptest.Options{})
		ts.login(t, "bob", xmpptest.Options{})
		ts.waitParked(t, 2)
		a.Conn().Close()
		waitFor(t, "session gone", func() bool { return ts.router.SessionCount() == 1 })
		ts.waitParked(t, 1)
	})
	t.Run("shutdown", func(t *testing.T) {
		ts := parkedServer(t, serverOpts{})
		a := ts.login(t, "alice", xmpptest.Options{})
		ts.waitParked(t, 1)
		done := make(chan error, 1)
		go func() { done <- ts.srv.Shutdown(t.Context()) }()
		a.ExpectStreamError("system-shutdown")
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("shutdown: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("shutdown did not finish with a parked session")
		}
	})
}
