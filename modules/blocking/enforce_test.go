package blocking

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
)

// TestVerdicts runs the two hooks on stanzas between alice, who blocks
// bob, a resource of carol and the domain spam.example, dave, who blocks
// his own domain, and others.
func TestVerdicts(t *testing.T) {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	met, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.metrics, m.log = met, slog.New(slog.DiscardHandler)
	m.router = router.New(router.Options{Hosts: []string{"localhost"}})
	lists := map[userKey][]string{
		{"alice", "localhost"}: {"bob@localhost", "carol@localhost/one", "spam.example"},
		// dave blocks his whole domain, but not his own server.
		{"dave", "localhost"}: {"localhost"},
	}
	load := func(_ context.Context, k userKey) (*list, error) { return newList(lists[k]), nil }
	ctx := context.Background()
	for k := range lists {
		if err := m.cache.opened(ctx, k, load); err != nil {
			t.Fatal(err)
		}
	}
	// Users without an entry read an empty list from "storage".
	m.store = nil
	for _, k := range []userKey{{"bob", "localhost"}, {"carol", "localhost"}, {"erin", "localhost"}} {
		m.cache.set(k, nil)
	}

	tests := []struct {
		name     string
		hook     string // "receive" or "send"
		stanza   string
		from, to string
		want     router.Verdict
	}{
		{"inbound message", "receive", "<message type='chat'><body>x</body></message>", "bob@localhost/b", "alice@localhost", router.Handled},
		{"inbound presence", "receive", "<presence/>", "bob@localhost/b", "alice@localhost/desk", router.Handled},
		{"inbound iq result", "receive", "<iq type='result' id='1'/>", "bob@localhost/b", "alice@localhost/desk", router.Handled},
		{"inbound from blocked resource", "receive", "<message><body>x</body></message>", "carol@localhost/one", "alice@localhost", router.Handled},
		{"inbound from other resource", "receive", "<message><body>x</body></message>", "carol@localhost/two", "alice@localhost", router.Pass},
		{"inbound from blocked domain", "receive", "<message><body>x</body></message>", "x@sub.spam.example/r", "alice@localhost", router.Handled},
		{"inbound from own server", "receive", "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>", "localhost", "dave@localhost/d", router.Pass},
		{"inbound from own domain", "receive", "<message><body>x</body></message>", "erin@localhost/e", "dave@localhost", router.Handled},
		{"inbound from self", "receive", "<message><body>x</body></message>", "alice@localhost/phone", "alice@localhost/desk", router.Pass},
		{"inbound from other user", "receive", "<message><body>x</body></message>", "erin@localhost/e", "alice@localhost", router.Pass},
		// A module routing for alice (presence broadcast, probe answer)
		// reaches bob only through UserReceive: stopped there.
		{"outbound via module", "receive", "<presence/>", "alice@localhost/desk", "bob@localhost", router.Drop},
		{"outbound via module to other", "receive", "<presence/>", "alice@localhost/desk", "erin@localhost", router.Pass},
		{"send message", "send", "<message to='bob@localhost'><body>x</body></message>", "alice@localhost/desk", "bob@localhost", router.Handled},
		{"send presence", "send", "<presence to='bob@localhost' type='subscribe'/>", "alice@localhost/desk", "bob@localhost", router.Handled},
		{"send to other", "send", "<message to='erin@localhost'><body>x</body></message>", "alice@localhost/desk", "erin@localhost", router.Pass},
		{"send to blocked domain", "send", "<message to='erin@localhost'><body>x</body></message>", "dave@localhost/d", "erin@localhost", router.Handled},
		{"send to own server", "send", "<iq type='get' id='d' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>", "dave@localhost/d", "localhost", router.Pass},
		{"send to own account", "send", "<iq type='get' id='v'><vCard xmlns='vcard-temp'/></iq>", "alice@localhost/desk", "alice@localhost", router.Pass},
		{"send by non-blocking user", "send", "<message to='alice@localhost'><body>x</body></message>", "bob@localhost/b", "alice@localhost", router.Pass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			el := parse(t, tc.stanza)
			el.SetAttr("from", tc.from)
			p := &router.Packet{Kind: stanza.KindOf(el), Type: el.Attr("type"), Stanza: el,
				From: jid.MustParse(tc.from), To: jid.MustParse(tc.to)}
			var got router.Verdict
			if tc.hook == "receive" {
				got = m.onReceive(ctx, p)
			} else {
				got = m.onSend(ctx, p)
			}
			if got != tc.want {
				t.Fatalf("verdict %d, want %d", got, tc.want)
			}
		})
	}
}
