package disco

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
)

// TestVerification checks the XEP-0115 §5 algorithm against the examples
// of §5.2 and §5.3, and its independence from input order.
func TestVerification(t *testing.T) {
	simpleFeatures := []string{
		"http://jabber.org/protocol/caps",
		"http://jabber.org/protocol/disco#info",
		"http://jabber.org/protocol/disco#items",
		"http://jabber.org/protocol/muc",
	}
	softwareInfo := capsForm{Type: "urn:xmpp:dataforms:softwareinfo", Fields: []formField{
		{"os", []string{"Mac"}},
		{"ip_version", []string{"ipv6", "ipv4"}},
		{"os_version", []string{"10.5.1"}},
		{"software", []string{"Psi"}},
		{"software_version", []string{"0.11"}},
	}}
	cases := []struct {
		name     string
		ids      []capsIdentity
		features []string
		forms    []capsForm
		wantS    string
		wantVer  string
	}{
		{
			name:     "XEP-0115 §5.2 simple example",
			ids:      []capsIdentity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
			features: simpleFeatures,
			wantS: "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
				"http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
			wantVer: "QgayPKawpkPSDYmwT/WM94uAlu0=",
		},
		{
			name:     "simple example, features unsorted",
			ids:      []capsIdentity{{Category: "client", Type: "pc", Name: "Exodus 0.9.1"}},
			features: []string{simpleFeatures[3], simpleFeatures[1], simpleFeatures[0], simpleFeatures[2]},
			wantVer:  "QgayPKawpkPSDYmwT/WM94uAlu0=",
		},
		{
			name: "XEP-0115 §5.3 complex example",
			ids: []capsIdentity{
				{Category: "client", Type: "pc", Lang: "en", Name: "Psi 0.11"},
				{Category: "client", Type: "pc", Lang: "el", Name: "Ψ 0.11"},
			},
			features: simpleFeatures,
			forms:    []capsForm{softwareInfo},
			wantS: "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<" +
				"http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<" +
				"http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<" +
				"os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<",
			wantVer: "q07IKJEyjvHSyhy//CH0CxmKi8w=",
		},
		{
			name:    "nothing at all",
			wantS:   "",
			wantVer: "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", // sha-1 of the empty string
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := appendVerification(nil, tc.ids, tc.features, tc.forms)
			if tc.wantS != "" && string(s) != tc.wantS {
				t.Errorf("S = %q\nwant %q", s, tc.wantS)
			}
			if got := capsVer(s); got != tc.wantVer {
				t.Errorf("ver = %s, want %s", got, tc.wantVer)
			}
		})
	}
	// The inputs are left as they were.
	if softwareInfo.Fields[0].Var != "os" || softwareInfo.Fields[1].Values[0] != "ipv6" {
		t.Errorf("appendVerification sorted its input: %+v", softwareInfo)
	}
}

// TestCapsCache checks that the cached ver follows the registry: a
// feature added after the first computation changes it.
func TestCapsCache(t *testing.T) {
	d := module.NewDisco()
	h := module.NewHost("test", module.Deps{Disco: d})
	h.AddIdentity(router.TargetServer, module.Identity{Category: "client", Type: "pc", Name: "Exodus 0.9.1"})
	for _, f := range []string{"http://jabber.org/protocol/muc", "http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info"} {
		h.AddFeature(router.TargetServer, f)
	}
	c := &caps{disco: d}
	v1, f1 := c.current()
	if again, _ := c.current(); again != v1 {
		t.Fatalf("ver changed without a registry change: %s, %s", v1, again)
	}
	h.AddFeature(router.TargetServer, "http://jabber.org/protocol/disco#items")
	v2, f2 := c.current()
	if v2 == v1 {
		t.Fatalf("ver did not change after a feature was added")
	}
	if v2 != "QgayPKawpkPSDYmwT/WM94uAlu0=" {
		t.Errorf("ver = %s, want the XEP-0115 simple example's", v2)
	}
	want := "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" + CapsNode + "' ver='" + v2 + "'/>"
	if string(f2) != want {
		t.Errorf("feature = %s\nwant %s", f2, want)
	}
	if string(f1) == string(f2) {
		t.Error("the cached feature element was not replaced")
	}
	if got := c.appendFeature([]byte("x")); string(got) != "x"+want {
		t.Errorf("appendFeature = %s", got)
	}
}

func BenchmarkCapsFeature(b *testing.B) {
	d := module.NewDisco()
	h := module.NewHost("test", module.Deps{Disco: d})
	h.AddIdentity(router.TargetServer, module.Identity{Category: "server", Type: "im", Name: "Meerkat"})
	for _, f := range []string{NSInfo, NSItems, "jabber:iq:version", "urn:xmpp:time", "urn:xmpp:ping", "vcard-temp",
		"jabber:iq:private", "urn:xmpp:blocking", "jabber:iq:last", "msgoffline", "jabber:iq:roster"} {
		h.AddFeature(router.TargetServer, f)
	}
	c := &caps{disco: d}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = c.appendFeature(buf[:0])
	}
}
