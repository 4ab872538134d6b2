package muc

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// fuzzService is a service on a router with no sessions: deliveries go
// nowhere, which is what fuzzing the room logic needs.
func fuzzService(t testing.TB) *service {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	m.router = router.New(router.Options{Hosts: []string{"localhost"}})
	m.log = slog.New(slog.DiscardHandler)
	m.hosts["localhost"] = true
	if m.metrics, err = newMetrics(prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	return newService(m, "conference.localhost", NewLocalDirectory())
}

var fuzzUsers = []string{"alice@localhost/a", "bob@localhost/b", "carol@localhost/c", "alice@localhost/a2"}

// FuzzRoomStanzas feeds any sequence of stanzas from a few users to the
// service: it must never panic, and every room that exists keeps an
// owner whatever admin and owner operations the stanzas carry.
func FuzzRoomStanzas(f *testing.F) {
	seeds := []string{
		"<presence to='r@conference.localhost/A'><x xmlns='http://jabber.org/protocol/muc'><history maxchars='10' maxstanzas='-1' seconds='x' since='2020-01-01T00:00:00Z'/></x></presence>",
		"<iq type='set' id='1' to='r@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_roomowners'><value>bob@localhost</value></field><field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>",
		"<iq type='set' id='2' to='r@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='none' jid='alice@localhost'/><item affiliation='owner' jid='carol@localhost'/></query></iq>",
		"<iq type='set' id='3' to='r@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item role='none' nick='A'/></query></iq>",
		"<message to='r@conference.localhost' type='groupchat'><body>hi</body></message>",
		"<message to='r@conference.localhost'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='bob@localhost'/></x></message>",
		"<iq type='set' id='4' to='r@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>",
		"<presence to='r@conference.localhost/A' type='unavailable'/>",
		"<iq type='get' id='5' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
		"<presence to='r@conference.localhost/  ＡＢ  c '><x xmlns='http://jabber.org/protocol/muc'/></presence>",
		"<iq type='get' id='6' to='r@conference.localhost/A'><query xmlns='jabber:iq:version'/></iq>",
		"<iq type='result' id='muc-AAAA' to='r@conference.localhost/A'/>",
		"<iq type='get' id='7' to='r@conference.localhost/A'><vCard xmlns='vcard-temp'/></iq>",
	}
	for i := range seeds {
		f.Add(uint8(i), []byte(seeds[i]), []byte(seeds[(i+1)%len(seeds)]))
	}
	f.Fuzz(func(t *testing.T, who uint8, a, b []byte) {
		s := fuzzService(t)
		ctx := context.Background()
		feed := func(who int, raw []byte) {
			el, err := stream.DecodeElement(raw, stream.DefaultLimits(), stream.NSClient)
			if err != nil {
				return
			}
			el.SetAttr("from", fuzzUsers[who%len(fuzzUsers)])
			to, err := s.m.router.JIDs().Parse(el.Attr("to"))
			if err != nil || to.Domainpart() != s.domain {
				return
			}
			s.HandleStanza(ctx, el, to)
		}
		// Alice creates r first so that later stanzas have a room to act on.
		feed(0, []byte(seeds[0]))
		feed(0, []byte("<iq type='set' id='i' to='r@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>"))
		feed(int(who), a)
		feed(int(who>>2), b)
		feed(int(who>>4), a)
		for _, r := range s.rooms.All() {
			r.mu.Lock()
			if !r.gone && r.owners() == 0 {
				t.Errorf("room %s has no owner", r.name)
			}
			r.mu.Unlock()
		}
	})
}

// FuzzEnforceNick: the Nickname profile either refuses a nick or returns
// one that it leaves as it is (so a rewritten nick is stable across a
// rejoin), and whose compare key is stable too.
func FuzzEnforceNick(f *testing.F) {
	for _, s := range []string{"Alice", "  Carol   Ann ", "ＤＡＶＥ", "Ⅳ", "x\u200by", "   ", "", "\u00a8", "ǅ", "ß", "İ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, nick string) {
		out, e := enforceNick(nick)
		if e != nil {
			return
		}
		if out == "" {
			t.Fatalf("enforceNick(%q) accepted an empty nick", nick)
		}
		again, e := enforceNick(out)
		if e != nil || again != out {
			t.Fatalf("enforceNick(%q) = %q, but enforcing that gives %q, %v", nick, out, again, e)
		}
		if nickKey(out) != nickKey(again) || nickKey(nickKey(out)) != nickKey(out) {
			t.Fatalf("nickKey not stable for %q", out)
		}
	})
}
