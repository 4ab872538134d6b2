package presence_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/presence"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// fakeSession serializes what it is given, as a c2s session does, into a
// buffer it reuses.
type fakeSession struct {
	buf []byte
	n   atomic.Int64
}

func (s *fakeSession) Deliver(el *stream.Element) bool {
	s.buf = el.AppendXML(s.buf[:0], stream.NSClient)
	s.n.Add(1)
	return true
}

func (s *fakeSession) Kick(*stream.Error) {}

// bench is a router with alice online and n contacts online, all
// subscribed both ways, and the presence module started over store.
type bench struct {
	r        *router.Router
	alice    jid.JID
	own      *fakeSession
	sessions []*fakeSession
}

func newBench(tb testing.TB, n int, store storage.Store, roster storage.Roster) *bench {
	ctx := context.Background()
	r := router.New(router.Options{Hosts: []string{"localhost"}})
	m, err := presence.New(presence.DefaultConfig())
	if err != nil {
		tb.Fatal(err)
	}
	set := module.NewSet(module.Deps{Router: r, Store: store})
	if err := set.Start(ctx, []module.Module{m}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { set.Stop(ctx) })
	bn := &bench{r: r, sessions: make([]*fakeSession, n)}
	for i := range n {
		bare := fmt.Sprintf("contact%03d@localhost", i)
		if _, err := roster.SetRosterItem(ctx, "localhost", "alice",
			storage.RosterItem{JID: bare, Subscription: storage.SubBoth}); err != nil {
			tb.Fatal(err)
		}
		full := jid.MustParse(bare + "/res")
		bn.sessions[i] = &fakeSession{}
		if err := r.Bind(full, bn.sessions[i], router.ConflictReplace); err != nil {
			tb.Fatal(err)
		}
		r.SetPresence(full, bn.sessions[i], true, 0)
	}
	bn.alice = jid.MustParse("alice@localhost/desk")
	bn.own = &fakeSession{}
	if err := r.Bind(bn.alice, bn.own, router.ConflictReplace); err != nil {
		tb.Fatal(err)
	}
	r.SetPresence(bn.alice, bn.own, true, 0)
	return bn
}

func (bn *bench) event(tb testing.TB, initial bool) *router.PresenceEvent {
	el, err := stream.DecodeElement([]byte("<presence from='alice@localhost/desk'><show>away</show><status>in a meeting</status></presence>"),
		stream.DefaultLimits(), stream.NSClient)
	if err != nil {
		tb.Fatal(err)
	}
	return &router.PresenceEvent{JID: bn.alice, Available: true, Initial: initial, Stanza: el, Session: bn.own}
}

func (bn *bench) delivered() int64 {
	var n int64
	for _, s := range bn.sessions {
		n += s.n.Load()
	}
	return n
}

// BenchmarkBroadcast measures one presence update of a user with 100
// contacts, all subscribed both ways and online on this node: one roster
// read, 100 routed copies and 100 serializations.
func BenchmarkBroadcast(b *testing.B) {
	const contacts = 100
	store := servertest.NewMemStore()
	bn := newBench(b, contacts, store, store)
	ev := bn.event(b, false)
	ctx := context.Background()
	hook := &bn.r.Hooks().PresenceChanged
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		router.RunEvent(ctx, bn.r, hook, ev)
	}
	b.StopTimer()
	if got, want := bn.delivered(), int64(b.N)*contacts; got != want {
		b.Fatalf("delivered %d presence stanzas, want %d", got, want)
	}
	b.ReportMetric(float64(contacts), "recipients/op")
}
