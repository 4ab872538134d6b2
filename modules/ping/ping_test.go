package ping

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"default", DefaultConfig(), true},
		{"disabled", Config{}, true},
		{"short", Config{Interval: 200 * time.Millisecond, Timeout: 200 * time.Millisecond}, true},
		{"negative interval", Config{Interval: -time.Second, Timeout: time.Second}, false},
		{"no timeout", Config{Interval: time.Minute}, false},
		{"negative timeout", Config{Timeout: -time.Second}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if _, err := New(tc.cfg); (err == nil) != tc.ok {
				t.Fatalf("New() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// recorder is a session that keeps what it gets.
type recorder struct {
	mu     sync.Mutex
	got    []*stream.Element
	kicked *stream.Error
}

func (r *recorder) Deliver(el *stream.Element) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, el)
	return true
}

func (r *recorder) Kick(err *stream.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kicked = err
}

func newTestModule(t *testing.T, cfg Config) *Module {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	met, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.metrics, m.log = met, slog.New(slog.DiscardHandler)
	return m
}

// TestSweep drives the idle logic with a hand-made clock: a session that
// keeps sending is never pinged, an idle one is, an answer clears the ping,
// and silence past the timeout ends the session.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	for _, kickOn := range []bool{true, false} {
		name := "kick"
		if !kickOn {
			name = "count only"
		}
		t.Run(name, func(t *testing.T) {
			m := newTestModule(t, Config{Interval: time.Minute, Timeout: 10 * time.Second, KickOnTimeout: kickOn})
			t0 := time.Unix(1_000_000, 0)
			var clock time.Time
			m.now = func() time.Time { return clock }
			clock = t0
			busyJID, idleJID := jid.MustParse("alice@localhost/busy"), jid.MustParse("bob@localhost/idle")
			busy, idle := &recorder{}, &recorder{}
			m.onSessionOpened(ctx, &router.SessionEvent{JID: busyJID, Session: busy})
			m.onSessionOpened(ctx, &router.SessionEvent{JID: idleJID, Session: idle})
			send := func(from jid.JID, at time.Time, xml string) router.Verdict {
				clock = at
				el, err := stream.DecodeElement([]byte(xml), stream.DefaultLimits(), stream.NSClient)
				if err != nil {
					t.Fatal(err)
				}
				el.SetAttr("from", from.String())
				return m.onSend(ctx, &router.Packet{Kind: stanza.KindOf(el), Type: el.Attr("type"), From: from, Stanza: el})
			}
			at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
			busySends := func(s int) { send(busyJID, at(s), "<message to='bob@localhost'><body>x</body></message>") }
			pings := func(want int) *stream.Element {
				t.Helper()
				if len(idle.got) != want {
					t.Fatalf("idle session got %d pings, want %d", len(idle.got), want)
				}
				if want == 0 {
					return nil
				}
				return idle.got[want-1]
			}
			// busy sends every 30s and is never idle for a minute; idle is
			// pinged at the first sweep a minute after login.
			busySends(30)
			m.sweep(ctx, at(59))
			pings(0)
			m.sweep(ctx, at(60))
			p := pings(1)
			if p.Attr("type") != "get" || p.Attr("to") != idleJID.String() || p.Attr("from") != "localhost" ||
				p.Child(NS, "ping") == nil {
				t.Fatalf("ping %s", p)
			}
			busySends(60)
			// A stray or foreign result is not taken for the answer.
			if v := send(idleJID, at(65), "<iq type='result' id='other' to='localhost'/>"); v != router.Pass {
				t.Fatal("foreign result intercepted")
			}
			if v := send(idleJID, at(65), "<iq type='result' id='"+p.Attr("id")+"' to='example.org'/>"); v != router.Pass {
				t.Fatal("result to another host intercepted")
			}
			// The answer is taken off the stream and clears the ping.
			if v := send(idleJID, at(66), "<iq type='result' id='"+p.Attr("id")+"' to='localhost'/>"); v != router.Handled {
				t.Fatal("answer not intercepted")
			}
			busySends(90)
			busySends(120)
			// Quiet again: the next ping a minute after the answer.
			m.sweep(ctx, at(125))
			pings(1)
			m.sweep(ctx, at(126))
			pings(2)
			m.sweep(ctx, at(135))
			if idle.kicked != nil {
				t.Fatal("kicked before the timeout")
			}
			m.sweep(ctx, at(136))
			busySends(150)
			busySends(180)
			if len(busy.got) != 0 {
				t.Fatalf("the busy session was pinged: %s", busy.got[0])
			}
			if kickOn {
				if idle.kicked == nil || idle.kicked.Condition != stream.ConnectionTimeout {
					t.Fatalf("kicked with %v, want connection-timeout", idle.kicked)
				}
				m.sweep(ctx, at(300))
				pings(2) // a kicked session is not pinged again
			} else {
				if idle.kicked != nil {
					t.Fatal("kicked with kick_on_timeout off")
				}
				m.sweep(ctx, at(195))
				pings(2)
				m.sweep(ctx, at(196))
				pings(3) // pinging goes on
			}
			m.onSessionClosed(ctx, &router.SessionEvent{JID: idleJID, Session: idle})
			m.onSessionClosed(ctx, &router.SessionEvent{JID: busyJID, Session: &recorder{}}) // not its session
			if n := m.sessions.len(); n != 1 {
				t.Fatalf("%d sessions tracked, want 1", n)
			}
		})
	}
}

func BenchmarkOnSend(b *testing.B) {
	m, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	m.metrics, _ = newMetrics(prometheus.NewRegistry())
	full := jid.MustParse("alice@localhost/desk")
	m.onSessionOpened(context.Background(), &router.SessionEvent{JID: full, Session: &recorder{}})
	el := stream.NewElement(stream.NSClient, "message", "to", "bob@localhost", "from", full.String())
	p := &router.Packet{Kind: stanza.KindMessage, From: full, Stanza: el}
	b.ReportAllocs()
	for b.Loop() {
		m.onSend(context.Background(), p)
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		if _, err := newMetrics(reg); err != nil {
			t.Fatal(err)
		}
	}
	servertest.Lint(t, reg)
}
