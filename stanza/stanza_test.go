package stanza_test

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func TestErrorReply(t *testing.T) {
	orig, err := stream.DecodeElement([]byte(`<iq type='get' id='x1' from='a@example.com/r' to='example.com' xml:lang='de'><query xmlns='urn:q'/></iq>`), stream.DefaultLimits(), stream.NSClient)
	if err != nil {
		t.Fatal(err)
	}
	r := stanza.ErrorReply(orig, stanza.NewError(stanza.ItemNotFound, "gone"))
	want := `<iq xmlns='jabber:client' id='x1' xml:lang='de' to='a@example.com/r' from='example.com' type='error'><query xmlns='urn:q'/>` +
		`<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>gone</text></error></iq>`
	if got := r.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if orig.Attr("type") != "get" || len(orig.Children) != 1 {
		t.Error("ErrorReply modified the original")
	}
}

func TestDefaultErrorTypes(t *testing.T) {
	cases := map[stanza.Condition]stanza.ErrorType{
		stanza.BadRequest: stanza.Modify, stanza.JIDMalformed: stanza.Modify, stanza.Forbidden: stanza.Auth,
		stanza.NotAuthorized: stanza.Auth, stanza.ServiceUnavailable: stanza.Cancel, stanza.ItemNotFound: stanza.Cancel,
		stanza.InternalServerError: stanza.Wait, stanza.ResourceConstraint: stanza.Wait, stanza.RemoteServerNotFound: stanza.Cancel,
	}
	for c, want := range cases {
		if got := stanza.DefaultType(c); got != want {
			t.Errorf("%s: %s, want %s", c, got, want)
		}
	}
}

func TestTypeLabelIsBounded(t *testing.T) {
	cases := []struct {
		k          stanza.Kind
		typ, label string
	}{
		{stanza.KindMessage, "", "normal"}, {stanza.KindMessage, "chat", "chat"}, {stanza.KindMessage, "<script>", "other"},
		{stanza.KindPresence, "", "available"}, {stanza.KindPresence, "probe", "probe"}, {stanza.KindPresence, "bogus", "other"},
		{stanza.KindIQ, "get", "get"}, {stanza.KindIQ, "", "other"}, {stanza.KindNone, "get", "other"},
	}
	for _, c := range cases {
		if got := stanza.TypeLabel(c.k, c.typ); got != c.label {
			t.Errorf("TypeLabel(%v, %q) = %q, want %q", c.k, c.typ, got, c.label)
		}
	}
}

func TestJIDCache(t *testing.T) {
	c := stanza.NewJIDCache(64)
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"Alice@Example.COM/Res", "alice@example.com/Res", true},
		{"example.com", "example.com", true},
		{"a@b@c", "", false},
		{"", "", false},
		{"user@[::1]", "user@[::1]", true},
	}
	for range 3 { // the second and third rounds come from the cache
		for _, tc := range cases {
			j, err := c.Parse(tc.in)
			if (err == nil) != tc.ok || (tc.ok && j.String() != tc.want) {
				t.Errorf("Parse(%q) = %q, %v; want %q ok=%v", tc.in, j, err, tc.want, tc.ok)
			}
		}
	}
	// Past its capacity the cache still answers correctly.
	for i := range 1000 {
		s := "u" + string(rune('a'+i%26)) + "@example.com/" + string(rune('A'+i%26))
		if _, err := c.Parse(s); err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
	}
}

func BenchmarkJIDCacheHit(b *testing.B) {
	c := stanza.NewJIDCache(1024)
	c.Parse("romeo@montague.example/orchard")
	b.ReportAllocs()
	for b.Loop() {
		c.Parse("romeo@montague.example/orchard")
	}
}
