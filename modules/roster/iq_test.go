package roster

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// startUnit starts a module over an in-process router and an in-memory
// roster, with no sockets.
func startUnit(t *testing.T, cfg Config) (*Module, *router.Router, *servertest.MemStore) {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := router.New(router.Options{Hosts: []string{"localhost"}})
	store := servertest.NewMemStore()
	set := module.NewSet(module.Deps{Router: r, Store: store})
	if err := set.Start(context.Background(), []module.Module{m}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Stop(context.Background()) })
	return m, r, store
}

func rosterIQ(t *testing.T, r *router.Router, from, to, typ, payload string) *router.IQ {
	t.Helper()
	el, err := stream.DecodeElement([]byte("<iq type='"+typ+"' id='x'>"+payload+"</iq>"), stream.DefaultLimits(), stream.NSClient)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := r.JIDs().Parse(from)
	tj, _ := r.JIDs().Parse(to)
	return &router.IQ{From: f, To: tj, Type: typ, Payload: el.FirstChild(), Stanza: el}
}

func TestRosterIQErrors(t *testing.T) {
	const alice = "alice@localhost/desk"
	q := func(items string) string { return "<query xmlns='jabber:iq:roster'>" + items + "</query>" }
	cases := []struct {
		name, to, typ, payload string
		cond                   stanza.Condition // "" for success
	}{
		{"get own roster", "alice@localhost", "get", q(""), ""},
		{"get another user's roster", "bob@localhost", "get", q(""), stanza.Forbidden},
		{"set another user's roster", "bob@localhost", "set", q("<item jid='carol@localhost'/>"), stanza.Forbidden},
		{"wrong payload element", "alice@localhost", "get", "<list xmlns='jabber:iq:roster'/>", stanza.BadRequest},
		{"set with no item", "alice@localhost", "set", q(""), stanza.BadRequest},
		{"set with two items", "alice@localhost", "set", q("<item jid='bob@localhost'/><item jid='carol@localhost'/>"), stanza.BadRequest},
		{"set with a foreign child", "alice@localhost", "set", q("<foo/>"), stanza.BadRequest},
		{"item without jid", "alice@localhost", "set", q("<item name='x'/>"), stanza.BadRequest},
		{"malformed jid", "alice@localhost", "set", q("<item jid='a@b@c'/>"), stanza.JIDMalformed},
		{"full jid", "alice@localhost", "set", q("<item jid='bob@localhost/res'/>"), stanza.JIDMalformed},
		{"own bare jid", "alice@localhost", "set", q("<item jid='alice@localhost'/>"), stanza.NotAllowed},
		{"unknown subscription value", "alice@localhost", "set", q("<item jid='bob@localhost' subscription='maybe'/>"), stanza.BadRequest},
		{"subscription both is ignored", "alice@localhost", "set", q("<item jid='bob@localhost' subscription='both'/>"), ""},
		{"name too long", "alice@localhost", "set", q("<item jid='bob@localhost' name='" + strings.Repeat("n", 11) + "'/>"), stanza.NotAcceptable},
		{"empty group", "alice@localhost", "set", q("<item jid='bob@localhost'><group/></item>"), stanza.NotAcceptable},
		{"group too long", "alice@localhost", "set", q("<item jid='bob@localhost'><group>" + strings.Repeat("g", 11) + "</group></item>"), stanza.NotAcceptable},
		{"duplicate groups", "alice@localhost", "set", q("<item jid='bob@localhost'><group>a</group><group>a</group></item>"), stanza.BadRequest},
		{"too many groups", "alice@localhost", "set", q("<item jid='bob@localhost'><group>a</group><group>b</group><group>c</group></item>"), stanza.NotAcceptable},
		{"remove unknown item", "alice@localhost", "set", q("<item jid='nobody@localhost' subscription='remove'/>"), stanza.ItemNotFound},
		{"add with name and groups", "alice@localhost", "set", q("<item jid='carol@localhost' name='Carol'><group>b</group><group>a</group></item>"), ""},
		{"roster full", "alice@localhost", "set", q("<item jid='dave@localhost'/>"), stanza.ResourceConstraint},
		{"update when full", "alice@localhost", "set", q("<item jid='carol@localhost' name='C'/>"), ""},
		{"remove existing", "alice@localhost", "set", q("<item jid='carol@localhost' subscription='remove'/>"), ""},
	}
	cfg := DefaultConfig()
	cfg.MaxItems, cfg.MaxNameLength, cfg.MaxGroupLength, cfg.MaxGroups = 2, 10, 10, 2
	m, r, store := startUnit(t, cfg)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.handleIQ(t.Context(), rosterIQ(t, r, alice, tc.to, tc.typ, tc.payload))
			if tc.cond == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			var se *stanza.Error
			if !errors.As(err, &se) || se.Condition != tc.cond {
				t.Fatalf("got %v, want %s", err, tc.cond)
			}
		})
	}
	items, _, _ := store.RosterItems(t.Context(), "localhost", "alice")
	if len(items) != 1 || items[0].JID != "bob@localhost" || items[0].Subscription != storage.SubNone {
		t.Fatalf("roster after the table: %+v", items)
	}
}

func TestRosterGetVersions(t *testing.T) {
	m, r, _ := startUnit(t, DefaultConfig())
	const alice = "alice@localhost/desk"
	get := func(ver string) *stream.Element {
		t.Helper()
		attr := ""
		if ver != "-" {
			attr = " ver='" + ver + "'"
		}
		res, err := m.handleIQ(t.Context(), rosterIQ(t, r, alice, "alice@localhost", "get", "<query xmlns='jabber:iq:roster'"+attr+"/>"))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := get(""); res == nil || res.ChildCount() != 0 {
		t.Fatalf("empty roster: %v", res)
	}
	set := rosterIQ(t, r, alice, "alice@localhost", "set", "<query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query>")
	if _, err := m.handleIQ(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	res := get("")
	ver := res.Attr("ver")
	if ver == "" || res.ChildCount() != 1 {
		t.Fatalf("roster: %v", res)
	}
	if res := get(ver); res != nil {
		t.Fatalf("current version answered %v, want an empty result", res)
	}
	if res := get("stale"); res == nil || res.ChildCount() != 1 {
		t.Fatalf("stale version answered %v", res)
	}
	if res := get("-"); res == nil || res.Attr("ver") != ver {
		t.Fatalf("get without ver answered %v", res)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Config{}
	err := bad.Validate()
	for _, key := range []string{"max_items", "max_name_length", "max_group_length", "storage_timeout"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("zero config: %v, want an error naming %s", err, key)
		}
	}
	if _, err := New(bad); err == nil {
		t.Error("New accepted an invalid config")
	}
}

func TestStartNeedsStore(t *testing.T) {
	m, _ := New(DefaultConfig())
	r := router.New(router.Options{Hosts: []string{"localhost"}})
	err := module.NewSet(module.Deps{Router: r}).Start(t.Context(), []module.Module{m})
	if !errors.Is(err, ErrNoRosterStore) {
		t.Fatalf("Start without a roster store: %v", err)
	}
}
