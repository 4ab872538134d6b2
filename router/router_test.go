package router_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// fakeSession records what the router delivers to it.
type fakeSession struct {
	name string
	mu   sync.Mutex
	got  []*stream.Element
	kick *stream.Error
}

func (f *fakeSession) Deliver(el *stream.Element) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, el)
	return true
}

func (f *fakeSession) Kick(err *stream.Error) { f.kick = err }

func (f *fakeSession) take() []*stream.Element {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.got
	f.got = nil
	return g
}

type users map[string]bool

func (u users) UserExists(_ context.Context, host, user string) (bool, error) {
	return u[user+"@"+host], nil
}

type resource struct {
	full      string
	available bool
	prio      int
}

// world builds a router with bob's resources bound and a sender session
// for alice/desk, which receives bounces.
func world(t *testing.T, res []resource) (*router.Router, map[string]*fakeSession) {
	t.Helper()
	r := router.New(router.Options{Hosts: []string{"example.com"}, Users: users{"alice@example.com": true, "bob@example.com": true, "carol@example.com": true}})
	sessions := map[string]*fakeSession{}
	res = append(res, resource{full: "alice@example.com/desk", available: true})
	for _, x := range res {
		s := &fakeSession{name: x.full}
		j := jid.MustParse(x.full)
		if err := r.Bind(j, s, router.ConflictRefuse); err != nil {
			t.Fatal(err)
		}
		r.SetPresence(j, s, x.available, x.prio)
		sessions[x.full] = s
	}
	return r, sessions
}

func TestRouteRules(t *testing.T) {
	three := []resource{
		{"bob@example.com/a", true, 5},
		{"bob@example.com/b", true, 5},
		{"bob@example.com/c", true, 1},
		{"bob@example.com/neg", true, -1},
		{"bob@example.com/away", false, 9},
	}
	cases := []struct {
		name   string
		res    []resource
		stanza string
		want   []string // sessions that receive the stanza itself
		bounce string   // error condition bounced to the sender, "" for none
	}{
		{"full JID", three, `<message to='bob@example.com/c' type='chat'/>`, []string{"bob@example.com/c"}, ""},
		{"full JID of unavailable resource still delivers", three, `<message to='bob@example.com/away' type='chat'/>`, []string{"bob@example.com/away"}, ""},
		{"chat to bare: all highest priority", three, `<message to='bob@example.com' type='chat'/>`, []string{"bob@example.com/a", "bob@example.com/b"}, ""},
		{"normal to bare", three, `<message to='bob@example.com'/>`, []string{"bob@example.com/a", "bob@example.com/b"}, ""},
		{"headline to bare: every non-negative", three, `<message to='bob@example.com' type='headline'/>`, []string{"bob@example.com/a", "bob@example.com/b", "bob@example.com/c"}, ""},
		{"groupchat to bare", three, `<message to='bob@example.com' type='groupchat'/>`, nil, "service-unavailable"},
		{"error to bare is dropped", three, `<message to='bob@example.com' type='error'/>`, nil, ""},
		{"chat to gone resource falls back to bare", three, `<message to='bob@example.com/gone' type='chat'/>`, []string{"bob@example.com/a", "bob@example.com/b"}, ""},
		{"groupchat to gone resource", three, `<message to='bob@example.com/gone' type='groupchat'/>`, nil, "service-unavailable"},
		{"iq to gone resource", three, `<iq to='bob@example.com/gone' type='get' id='1'><q xmlns='x'/></iq>`, nil, "service-unavailable"},
		{"iq result to gone resource is dropped", three, `<iq to='bob@example.com/gone' type='result' id='1'/>`, nil, ""},
		{"presence to gone resource is dropped", three, `<presence to='bob@example.com/gone'/>`, nil, ""},
		{"presence to bare: available resources", three, `<presence to='bob@example.com'/>`, []string{"bob@example.com/a", "bob@example.com/b", "bob@example.com/c", "bob@example.com/neg"}, ""},
		{"chat to offline user", nil, `<message to='carol@example.com' type='chat'/>`, nil, "service-unavailable"},
		{"headline to offline user is dropped", nil, `<message to='carol@example.com' type='headline'/>`, nil, ""},
		{"only negative priority is offline for messages", []resource{{"bob@example.com/neg", true, -1}}, `<message to='bob@example.com' type='chat'/>`, nil, "service-unavailable"},
		{"message to unknown user", nil, `<message to='nobody@example.com' type='chat'/>`, nil, "service-unavailable"},
		{"presence to unknown user is dropped", nil, `<presence to='nobody@example.com'/>`, nil, ""},
		{"iq to unknown user", nil, `<iq to='nobody@example.com' type='get' id='1'><q xmlns='x'/></iq>`, nil, "service-unavailable"},
		{"unhandled iq to server", nil, `<iq to='example.com' type='get' id='1'><q xmlns='x'/></iq>`, nil, "service-unavailable"},
		{"unhandled iq to account", three, `<iq to='bob@example.com' type='set' id='1'><q xmlns='x'/></iq>`, nil, "service-unavailable"},
		{"iq with two payloads", nil, `<iq to='example.com' type='get' id='1'><q xmlns='x'/><q xmlns='y'/></iq>`, nil, "bad-request"},
		{"remote domain", nil, `<message to='someone@elsewhere.org' type='chat'/>`, nil, "remote-server-not-found"},
		{"malformed to", nil, `<message to='a@b@c' type='chat'/>`, nil, "jid-malformed"},
		{"error stanzas never bounce", nil, `<message to='nobody@example.com' type='error'/>`, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, sessions := world(t, tc.res)
			el, err := stream.DecodeElement([]byte(tc.stanza), stream.DefaultLimits(), stream.NSClient)
			if err != nil {
				t.Fatal(err)
			}
			el.SetAttr("from", "alice@example.com/desk")
			r.Route(context.Background(), el)
			var got []string
			for name, s := range sessions {
				if name == "alice@example.com/desk" {
					continue
				}
				if len(s.take()) > 0 {
					got = append(got, name)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("delivered to %v, want %v", got, tc.want)
			}
			back := sessions["alice@example.com/desk"].take()
			switch {
			case tc.bounce == "" && len(back) > 0:
				t.Errorf("unexpected bounce %s", back[0])
			case tc.bounce != "":
				if len(back) != 1 {
					t.Fatalf("got %d stanzas back, want one %s error", len(back), tc.bounce)
				}
				e := back[0].Child(stream.NSClient, "error")
				if back[0].Attr("type") != "error" || e.Child(stream.NSStanzaErr, tc.bounce) == nil {
					t.Errorf("bounce %s, want %s", back[0], tc.bounce)
				}
				if back[0].Attr("to") != "alice@example.com/desk" {
					t.Errorf("bounce addressed to %q", back[0].Attr("to"))
				}
			}
		})
	}
}

func TestIQHandlerDispatch(t *testing.T) {
	r, sessions := world(t, nil)
	calls := 0
	if _, err := r.HandleIQ(router.TargetServer, "urn:test", "test", router.IQHandlerFunc(func(_ context.Context, iq *router.IQ) (*stream.Element, error) {
		calls++
		if iq.From.String() != "alice@example.com/desk" || iq.To.String() != "example.com" {
			t.Errorf("IQ from %s to %s", iq.From, iq.To)
		}
		return stream.NewElement("urn:test", "answer"), nil
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := r.HandleIQ(router.TargetServer, "urn:test", "other", router.IQHandlerFunc(nil)); err == nil {
		t.Error("a namespace claimed twice was accepted")
	}
	if _, err := r.HandleIQ(router.TargetServer, "urn:panic", "bad", router.IQHandlerFunc(func(context.Context, *router.IQ) (*stream.Element, error) {
		panic("boom")
	})); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ ns, wantType, wantChild string }{
		{"urn:test", "result", "answer"},
		{"urn:panic", "error", "internal-server-error"},
	} {
		el := stream.NewElement(stream.NSClient, "iq", "type", "get", "id", "q1", "to", "example.com", "from", "alice@example.com/desk")
		el.AddChild(stream.NewElement(tc.ns, "q"))
		r.Route(context.Background(), el)
		back := sessions["alice@example.com/desk"].take()
		var child *stream.Element
		if len(back) == 1 {
			child = back[0].Child("urn:test", "answer")
			if e := back[0].Child(stream.NSClient, "error"); e != nil {
				child = e.FirstChild()
			}
		}
		if len(back) != 1 || back[0].Attr("type") != tc.wantType || back[0].Attr("id") != "q1" || child == nil || child.Local != tc.wantChild {
			t.Errorf("%s: got %v", tc.ns, back)
		}
	}
	if calls != 1 {
		t.Errorf("handler called %d times", calls)
	}
}

func TestBindConflict(t *testing.T) {
	r := router.New(router.Options{Hosts: []string{"example.com"}})
	j := jid.MustParse("bob@example.com/x")
	a, b, c := &fakeSession{}, &fakeSession{}, &fakeSession{}
	if err := r.Bind(j, a, router.ConflictReplace); err != nil {
		t.Fatal(err)
	}
	if err := r.Bind(j, b, router.ConflictRefuse); err != router.ErrConflict {
		t.Fatalf("refuse: %v", err)
	}
	if err := r.Bind(j, c, router.ConflictReplace); err != nil || a.kick == nil || a.kick.Condition != stream.Conflict {
		t.Fatalf("replace: err %v, old kicked with %v", err, a.kick)
	}
	r.Unbind(j, a) // the replaced session's late unbind must not remove c
	if got := r.Resources(j.Bare()); len(got) != 1 || got[0].Session != c {
		t.Fatalf("resources after stale unbind: %v", got)
	}
}

func TestHooksVerdictsAndRemoval(t *testing.T) {
	r, sessions := world(t, []resource{{"bob@example.com/a", true, 0}})
	var order []string
	rmDrop := r.Hooks().UserReceive.Add(20, "dropper", func(_ context.Context, p *router.Packet) router.Verdict {
		order = append(order, "dropper")
		return router.Drop
	})
	r.Hooks().UserReceive.Add(10, "first", func(_ context.Context, p *router.Packet) router.Verdict {
		order = append(order, "first")
		if p.To.String() != "bob@example.com/a" || p.From.String() != "alice@example.com/desk" {
			t.Errorf("packet %s → %s", p.From, p.To)
		}
		return router.Pass
	})
	send := func() {
		el := stream.NewElement(stream.NSClient, "message", "to", "bob@example.com/a", "from", "alice@example.com/desk", "type", "chat")
		r.Route(context.Background(), el)
	}
	send()
	if !slices.Equal(order, []string{"first", "dropper"}) || len(sessions["bob@example.com/a"].take()) != 0 {
		t.Fatalf("order %v, or a dropped stanza was delivered", order)
	}
	rmDrop()
	order = nil
	send()
	if !slices.Equal(order, []string{"first"}) || len(sessions["bob@example.com/a"].take()) != 1 {
		t.Fatalf("after removal: order %v", order)
	}
}

func BenchmarkRouteFullJID(b *testing.B) {
	r := router.New(router.Options{Hosts: []string{"example.com"}})
	s := &fakeSession{}
	r.Bind(jid.MustParse("bob@example.com/a"), s, router.ConflictRefuse)
	el := stream.NewElement(stream.NSClient, "message", "to", "bob@example.com/a", "from", "alice@example.com/desk", "type", "chat")
	b.ReportAllocs()
	for b.Loop() {
		r.Route(context.Background(), el)
		s.got = s.got[:0]
	}
}
