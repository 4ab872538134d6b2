package blocking

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func parse(t testing.TB, s string) *stream.Element {
	t.Helper()
	el, err := stream.DecodeElement([]byte(s), stream.DefaultLimits(), stream.NSClient)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return el
}

// benchModule returns a module whose cache holds a list of n JIDs for
// alice@localhost, as it does while alice has a session.
func benchModule(b *testing.B, n int) *Module {
	m, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	met, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	m.metrics, m.log = met, slog.New(slog.DiscardHandler)
	m.router = router.New(router.Options{Hosts: []string{"localhost"}})
	jids := make([]string, n)
	for i := range jids {
		jids[i] = fmt.Sprintf("spammer%d@example.net", i)
	}
	load := func(context.Context, userKey) (*list, error) { return newList(jids), nil }
	m.cache.opened(context.Background(), userKey{"alice", "localhost"}, load)
	m.cache.opened(context.Background(), userKey{"bob", "localhost"}, load)
	return m
}

// BenchmarkReceiveCheck measures the UserReceive check of a message from a
// JID that is not blocked, to a user whose list is cached: the cost every
// stanza pays. Target: 0 allocs/op.
func BenchmarkReceiveCheck(b *testing.B) {
	for _, n := range []int{0, 10, 1000} {
		b.Run(fmt.Sprintf("list=%d", n), func(b *testing.B) {
			m := benchModule(b, n)
			el := parse(b, "<message from='bob@localhost/phone' to='alice@localhost/desk' type='chat'><body>hi</body></message>")
			p := &router.Packet{Kind: stanza.KindMessage, Type: "chat",
				From: jid.MustParse("bob@localhost/phone"), To: jid.MustParse("alice@localhost/desk"), Stanza: el}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if m.onReceive(ctx, p) != router.Pass {
					b.Fatal("blocked")
				}
			}
		})
	}
}

// BenchmarkMatch measures the list lookup alone on a blocked address.
func BenchmarkMatch(b *testing.B) {
	m := benchModule(b, 1000)
	l, _ := m.cache.get(userKey{"alice", "localhost"})
	from := jid.MustParse("spammer500@example.net/bot")
	b.ReportAllocs()
	for b.Loop() {
		if !l.matchJID(from) {
			b.Fatal("not blocked")
		}
	}
}
