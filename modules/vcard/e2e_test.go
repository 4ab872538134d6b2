package vcard

import (
	"slices"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func TestVCardOverTheWire(t *testing.T) {
	m, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	ts := servertest.StartModules(t, m)
	for _, target := range []router.Target{router.TargetServer, router.TargetAccount} {
		if !slices.Contains(ts.Disco.Features(target), NS) {
			t.Errorf("%s features %v lack %s", target, ts.Disco.Features(target), NS)
		}
	}
	alice := ts.Login(t, "alice", "")
	bob := ts.Login(t, "bob", "")

	// Nothing stored yet: the owner gets an empty vCard.
	q := servertest.CheckResult(t, servertest.Exchange(alice, "g0", "<iq type='get' id='g0'><vCard xmlns='vcard-temp'/></iq>"))
	if q.String() != "<vCard xmlns='vcard-temp'/>" {
		t.Fatalf("empty vCard %s", q)
	}

	// A vCard with escaped text, attributes and a large photo survives.
	card := "<vCard xmlns='vcard-temp' version='3.0'><FN>Alice &lt;&amp;&gt; &apos;Q&apos;</FN>" +
		"<N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN><MIDDLE/></N>" +
		"<PHOTO><TYPE>image/png</TYPE><BINVAL>" + strings.Repeat("iVBORw0KGgo", 3000) + "</BINVAL></PHOTO></vCard>"
	reply := servertest.Exchange(alice, "s1", "<iq type='set' id='s1'>"+card+"</iq>")
	if servertest.CheckResult(t, reply) != nil || reply.Attr("to") != alice.JID {
		t.Fatalf("set reply %s", reply)
	}
	want, err := stream.DecodeElement([]byte(card), stream.Limits{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    *xmpptest.Client
		iq   string
	}{
		{"owner, no to", alice, "<iq type='get' id='g1'><vCard xmlns='vcard-temp'/></iq>"},
		{"owner, bare to", alice, "<iq type='get' id='g1' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>"},
		{"another user", bob, "<iq type='get' id='g1' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Send(tc.iq)
			reply := tc.c.Expect(servertest.IQ("g1"))
			got := servertest.CheckResult(t, reply)
			if got.String() != want.String() {
				t.Errorf("vCard came back as %.200s…\nwant %.200s…", got, want)
			}
			if reply.Attr("from") != "alice@localhost" {
				t.Errorf("reply from %q, want alice@localhost", reply.Attr("from"))
			}
		})
	}

	errCases := []struct {
		name, iq, cond string
	}{
		{"set another's", "<iq type='set' id='e' to='alice@localhost'><vCard xmlns='vcard-temp'><FN>Bob</FN></vCard></iq>", "forbidden"},
		{"get one never stored", "<iq type='get' id='e' to='carol@localhost'><vCard xmlns='vcard-temp'/></iq>", "item-not-found"},
		{"get of no such user", "<iq type='get' id='e' to='nobody@localhost'><vCard xmlns='vcard-temp'/></iq>", "service-unavailable"},
		{"too large", "<iq type='set' id='e'><vCard xmlns='vcard-temp'><PHOTO><BINVAL>" + strings.Repeat("x", 50<<10) +
			"</BINVAL></PHOTO></vCard></iq>", "not-acceptable"},
		{"wrong element", "<iq type='get' id='e'><card xmlns='vcard-temp'/></iq>", "bad-request"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			servertest.CheckError(t, servertest.Exchange(bob, "e", tc.iq), tc.cond)
		})
	}
	// Bob's refused set left Alice's vCard alone.
	got := servertest.CheckResult(t, servertest.Exchange(bob, "g2", "<iq type='get' id='g2' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>"))
	if got.String() != want.String() {
		t.Errorf("alice's vCard changed after a forbidden set")
	}
}
