package blocking

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"default", DefaultConfig(), true},
		{"no idle cache", Config{MaxItems: 10, CacheSize: 0}, true},
		{"zero items", Config{MaxItems: 0, CacheSize: 10}, false},
		{"too many items", Config{MaxItems: 100001, CacheSize: 10}, false},
		{"negative cache", Config{MaxItems: 10, CacheSize: -1}, false},
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

// TestMatch checks the JID matching rules of XEP-0191 §6.
func TestMatch(t *testing.T) {
	tests := []struct {
		item string
		from string
		want bool
	}{
		// user@domain/resource: only that resource.
		{"romeo@montague.lit/orchard", "romeo@montague.lit/orchard", true},
		{"romeo@montague.lit/orchard", "romeo@montague.lit/garden", false},
		{"romeo@montague.lit/orchard", "romeo@montague.lit", false},
		// user@domain: any resource, and the bare JID.
		{"romeo@montague.lit", "romeo@montague.lit/orchard", true},
		{"romeo@montague.lit", "romeo@montague.lit", true},
		{"romeo@montague.lit", "juliet@montague.lit", false},
		{"romeo@montague.lit", "romeo@capulet.lit", false},
		{"romeo@montague.lit", "montague.lit", false},
		// domain/resource: only that resource of the domain itself.
		{"montague.lit/bot", "montague.lit/bot", true},
		{"montague.lit/bot", "romeo@montague.lit/bot", false},
		{"montague.lit/bot", "montague.lit", false},
		// domain: the domain, its users and resources, and subdomains.
		{"montague.lit", "montague.lit", true},
		{"montague.lit", "romeo@montague.lit/orchard", true},
		{"montague.lit", "montague.lit/bot", true},
		{"montague.lit", "chat.montague.lit", true},
		{"montague.lit", "room@chat.montague.lit/nick", true},
		{"montague.lit", "evilmontague.lit", false},
		{"montague.lit", "montague.lit.example", false},
		{"chat.montague.lit", "montague.lit", false},
		// Normalization: the item and the address are both PRECIS-mapped.
		{"Romeo@Montague.LIT", "romeo@montague.lit/x", true},
	}
	for _, tc := range tests {
		t.Run(tc.item+" vs "+tc.from, func(t *testing.T) {
			l := newList([]string{jid.MustParse(tc.item).String()})
			if got := l.matchJID(jid.MustParse(tc.from)); got != tc.want {
				t.Fatalf("match = %v, want %v", got, tc.want)
			}
		})
	}
	var empty *list
	if empty.matchJID(jid.MustParse("a@b")) || empty.len() != 0 || empty.has("a@b") {
		t.Fatal("a nil list blocks something")
	}
}

func TestItems(t *testing.T) {
	tests := []struct {
		name, xml string
		want      []string
		cond      string
	}{
		{"normalized and deduplicated", "<block xmlns='urn:xmpp:blocking'><item jid='A@B'/><item jid='a@b'/><item jid='c'/></block>", []string{"a@b", "c"}, ""},
		{"none", "<unblock xmlns='urn:xmpp:blocking'/>", nil, ""},
		{"malformed", "<block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block>", nil, "jid-malformed"},
		{"empty jid", "<block xmlns='urn:xmpp:blocking'><item jid=''/></block>", nil, "jid-malformed"},
		{"missing jid", "<block xmlns='urn:xmpp:blocking'><item/></block>", nil, "jid-malformed"},
		{"stranger child", "<block xmlns='urn:xmpp:blocking'><foo/></block>", nil, "bad-request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := items(parse(t, tc.xml))
			if tc.cond != "" {
				if err == nil || !strings.Contains(err.Error(), tc.cond) {
					t.Fatalf("err = %v, want %s", err, tc.cond)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("items = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestCacheEvictsOnlyIdleLists(t *testing.T) {
	c := newCache(64) // one idle entry per shard
	ctx := context.Background()
	loads := 0
	load := func(context.Context, userKey) (*list, error) { loads++; return newList([]string{"x@y"}), nil }
	online := userKey{"online", "localhost"}
	if err := c.opened(ctx, online, load); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if _, err := c.list(ctx, userKey{fmt.Sprintf("u%d", i), "localhost"}, load); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.size(); n > 64+1 {
		t.Fatalf("%d entries cached, want at most 65", n)
	}
	before := loads
	if l, _ := c.list(ctx, online, load); !l.has("x@y") || loads != before {
		t.Fatal("the list of a user with a session was evicted")
	}
	c.closed(online, nil)
	c.remove(online)
	if _, ok := c.get(online); ok {
		t.Fatal("removed user still cached")
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	servertest.Lint(t, reg)
}
