package disco

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// advertiser stands for the modules that start after disco and advertise
// what they implement.
type advertiser struct{}

func (*advertiser) Name() string { return "advertiser" }

func (*advertiser) Start(_ context.Context, h *module.Host) error {
	h.AddFeature(router.TargetServer, "urn:example:late")
	h.AddFeature(router.TargetAccount, "urn:example:account")
	h.AddIdentity(router.TargetServer, module.Identity{Category: "pubsub", Type: "service"})
	h.AddItem(module.Item{JID: "muc.localhost", Name: "Chatrooms"})
	return nil
}

func (*advertiser) Stop(context.Context) error { return nil }

// startDisco runs a server with disco and the advertiser.
func startDisco(t *testing.T, cfg Config) (*servertest.Server, *Module) {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartModules(t, m, &advertiser{}), m
}

func features(q *stream.Element) []string {
	var out []string
	for c := range q.Elements() {
		if c.Is(NSInfo, "feature") {
			out = append(out, c.Attr("var"))
		}
	}
	return out
}

func identities(q *stream.Element) []capsIdentity {
	var out []capsIdentity
	for c := range q.Elements() {
		if c.Is(NSInfo, "identity") {
			out = append(out, capsIdentity{Category: c.Attr("category"), Type: c.Attr("type"),
				Lang: c.AttrNS(stream.NSXML, "lang"), Name: c.Attr("name")})
		}
	}
	return out
}

// forms reads the XEP-0128 forms of a disco#info answer the way a client
// would, for recomputing the caps hash.
func forms(q *stream.Element) []capsForm {
	var out []capsForm
	for x := range q.Elements() {
		if !x.Is(NSData, "x") {
			continue
		}
		var f capsForm
		for fd := range x.Elements() {
			var vals []string
			for v := range fd.Elements() {
				vals = append(vals, v.Text())
			}
			if fd.Attr("var") == "FORM_TYPE" {
				f.Type = vals[0]
				continue
			}
			f.Fields = append(f.Fields, formField{Var: fd.Attr("var"), Values: vals})
		}
		out = append(out, f)
	}
	return out
}

func TestServerInfo(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ContactAddresses.Admin = []string{"xmpp:admin@localhost", "mailto:admin@example.org"}
	cfg.ContactAddresses.Abuse = []string{"mailto:abuse@example.org"}
	ts, m := startDisco(t, cfg)
	c := ts.Login(t, "alice", "")

	reply := servertest.Exchange(c, "i1", "<iq type='get' to='localhost' id='i1'><query xmlns='"+NSInfo+"'/></iq>")
	q := servertest.CheckResult(t, reply)
	if reply.Attr("from") != "localhost" || !q.Is(NSInfo, "query") {
		t.Fatalf("reply %s", reply)
	}
	ids := identities(q)
	wantIDs := []capsIdentity{{Category: "pubsub", Type: "service"}, {Category: "server", Type: "im", Name: "Meerkat"}}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("identities %+v, want %+v", ids, wantIDs)
	}
	got := features(q)
	if want := ts.Disco.Features(router.TargetServer); !slices.Equal(got, want) {
		t.Errorf("features %v, want the registry's %v", got, want)
	}
	for _, f := range []string{NSInfo, NSItems, "urn:example:late"} {
		if !slices.Contains(got, f) {
			t.Errorf("feature %s missing from %v", f, got)
		}
	}
	if slices.Contains(got, "urn:example:account") {
		t.Errorf("an account feature leaked into the server's: %v", got)
	}
	fs := forms(q)
	wantForm := capsForm{Type: NSServerInfo, Fields: []formField{
		{"abuse-addresses", []string{"mailto:abuse@example.org"}},
		{"admin-addresses", []string{"xmpp:admin@localhost", "mailto:admin@example.org"}},
	}}
	if len(fs) != 1 || fs[0].Type != wantForm.Type || len(fs[0].Fields) != 2 ||
		!slices.Equal(fs[0].Fields[1].Values, wantForm.Fields[1].Values) {
		t.Errorf("forms %+v, want %+v", fs, wantForm)
	}

	// The caps in the stream features hash exactly this answer.
	ver := capsVer(appendVerification(nil, ids, got, fs))
	cf := c.Features.Child(NSCaps, "c")
	if cf == nil {
		t.Fatalf("no caps in the stream features %s", c.Features)
	}
	if cf.Attr("hash") != "sha-1" || cf.Attr("node") != CapsNode || cf.Attr("ver") != ver {
		t.Errorf("caps %s, want ver %s", cf, ver)
	}
	if m.Ver() != ver {
		t.Errorf("Ver() = %s, want %s", m.Ver(), ver)
	}

	t.Run("caps node", func(t *testing.T) {
		node := CapsNode + "#" + ver
		reply := servertest.Exchange(c, "i2", "<iq type='get' to='localhost' id='i2'><query xmlns='"+NSInfo+"' node='"+node+"'/></iq>")
		q2 := servertest.CheckResult(t, reply)
		if q2.Attr("node") != node {
			t.Errorf("node %q, want %q", q2.Attr("node"), node)
		}
		if !slices.Equal(features(q2), got) || !slices.Equal(identities(q2), ids) || len(forms(q2)) != 1 {
			t.Errorf("caps node answer differs from the plain one: %s", q2)
		}
	})
	for _, tc := range []struct{ name, node string }{
		{"stale ver", CapsNode + "#QgayPKawpkPSDYmwT/WM94uAlu0="},
		{"bare caps node", CapsNode},
		{"unknown node", "http://jabber.org/protocol/commands"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := servertest.Exchange(c, "n", "<iq type='get' to='localhost' id='n'><query xmlns='"+NSInfo+"' node='"+tc.node+"'/></iq>")
			servertest.CheckError(t, reply, "item-not-found")
		})
	}
}

// TestCapsFollowsRegistry checks that a feature added while the server
// runs shows in the next stream's caps.
func TestCapsFollowsRegistry(t *testing.T) {
	ts, m := startDisco(t, DefaultConfig())
	before := ts.Login(t, "alice", "").Features.Child(NSCaps, "c").Attr("ver")
	h := module.NewHost("late", module.Deps{Router: ts.Router, Disco: ts.Disco})
	h.AddFeature(router.TargetServer, "urn:example:later-still")
	after := ts.Login(t, "bob", "").Features.Child(NSCaps, "c").Attr("ver")
	if before == after || after != m.Ver() {
		t.Errorf("ver before %s, after %s, Ver() %s", before, after, m.Ver())
	}
}

func TestNoStreamCaps(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StreamCaps, cfg.Name = false, ""
	ts, _ := startDisco(t, cfg)
	c := ts.Login(t, "alice", "")
	if cf := c.Features.Child(NSCaps, "c"); cf != nil {
		t.Errorf("caps offered with stream_caps = false: %s", cf)
	}
	q := servertest.CheckResult(t, servertest.Exchange(c, "i", "<iq type='get' to='localhost' id='i'><query xmlns='"+NSInfo+"'/></iq>"))
	for _, id := range identities(q) {
		if id.Category == "server" && id.Name != "" {
			t.Errorf("identity named %q with name = \"\"", id.Name)
		}
	}
	if len(forms(q)) != 0 {
		t.Errorf("a form without contact addresses: %s", q)
	}
}

func TestAccountInfo(t *testing.T) {
	ts, _ := startDisco(t, DefaultConfig())
	alice := ts.Login(t, "alice", "")
	cases := []struct {
		name, to string
	}{
		{"own, no to", ""},
		{"own bare JID", "alice@localhost"},
		{"another user", "bob@localhost"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			to := ""
			if tc.to != "" {
				to = " to='" + tc.to + "'"
			}
			reply := servertest.Exchange(alice, "a", "<iq type='get' id='a'"+to+"><query xmlns='"+NSInfo+"'/></iq>")
			q := servertest.CheckResult(t, reply)
			want := []capsIdentity{{Category: "account", Type: "registered"}}
			if got := identities(q); !slices.Equal(got, want) {
				t.Errorf("identities %+v, want %+v", got, want)
			}
			if got, want := features(q), ts.Disco.Features(router.TargetAccount); !slices.Equal(got, want) {
				t.Errorf("features %v, want the registry's %v", got, want)
			}
			if !slices.Contains(features(q), "urn:example:account") {
				t.Errorf("features %v lack the account feature", features(q))
			}
		})
	}
	t.Run("unknown user", func(t *testing.T) {
		reply := servertest.Exchange(alice, "u", "<iq type='get' id='u' to='nobody@localhost'><query xmlns='"+NSInfo+"'/></iq>")
		servertest.CheckError(t, reply, "service-unavailable")
	})
	t.Run("node", func(t *testing.T) {
		reply := servertest.Exchange(alice, "n", "<iq type='get' id='n' to='bob@localhost'><query xmlns='"+NSInfo+"' node='x'/></iq>")
		servertest.CheckError(t, reply, "item-not-found")
	})
}

func items(q *stream.Element) []string {
	var out []string
	for c := range q.Elements() {
		if c.Is(NSItems, "item") {
			out = append(out, c.Attr("jid")+"|"+c.Attr("node")+"|"+c.Attr("name"))
		}
	}
	return out
}

func TestItems(t *testing.T) {
	ts, _ := startDisco(t, DefaultConfig())
	a1 := ts.Login(t, "alice", "one")
	a2 := ts.Login(t, "alice", "two")
	ts.Login(t, "alice", "unavailable") // bound, never sends presence
	bob := ts.Login(t, "bob", "")
	// Initial presence makes a resource available; the router echoes it
	// to the user's available resources, the sender included.
	for _, c := range []*xmpptest.Client{a1, a2} {
		c.Send("<presence/>")
		c.Expect(func(el *stream.Element) bool { return el.Local == "presence" && el.Attr("from") == c.JID })
	}

	q := servertest.CheckResult(t, servertest.Exchange(bob, "s", "<iq type='get' to='localhost' id='s'><query xmlns='"+NSItems+"'/></iq>"))
	if got, want := items(q), []string{"muc.localhost||Chatrooms"}; !slices.Equal(got, want) {
		t.Errorf("server items %v, want %v", got, want)
	}

	cases := []struct {
		name string
		c    *xmpptest.Client
		to   string
		want []string
	}{
		{"own resources", a1, "alice@localhost", []string{"alice@localhost/one||", "alice@localhost/two||"}},
		{"own resources, no to", a2, "", []string{"alice@localhost/one||", "alice@localhost/two||"}},
		{"someone else's", bob, "alice@localhost", nil},
		{"a user with no session", bob, "carol@localhost", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			to := ""
			if tc.to != "" {
				to = " to='" + tc.to + "'"
			}
			q := servertest.CheckResult(t, servertest.Exchange(tc.c, "r", "<iq type='get' id='r'"+to+"><query xmlns='"+NSItems+"'/></iq>"))
			if got := items(q); !slices.Equal(got, tc.want) {
				t.Errorf("items %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("node", func(t *testing.T) {
		for _, to := range []string{"localhost", "alice@localhost"} {
			reply := servertest.Exchange(a1, "n", "<iq type='get' id='n' to='"+to+"'><query xmlns='"+NSItems+"' node='x'/></iq>")
			servertest.CheckError(t, reply, "item-not-found")
		}
	})
}

func TestBadRequests(t *testing.T) {
	ts, _ := startDisco(t, DefaultConfig())
	c := ts.Login(t, "alice", "")
	cases := []struct {
		name, iq, cond string
	}{
		{"set info", "<iq type='set' to='localhost' id='x'><query xmlns='" + NSInfo + "'/></iq>", "not-allowed"},
		{"set items", "<iq type='set' id='x'><query xmlns='" + NSItems + "'/></iq>", "not-allowed"},
		{"wrong element", "<iq type='get' to='localhost' id='x'><info xmlns='" + NSInfo + "'/></iq>", "bad-request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			servertest.CheckError(t, servertest.Exchange(c, "x", tc.iq), tc.cond)
		})
	}
	if !strings.Contains(c.Features.String(), NSCaps) {
		t.Errorf("features %s", c.Features)
	}
}
