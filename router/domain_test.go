package router_test

import (
	"context"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestHandleDomain: a service domain's stanzas, whatever their kind and
// address, reach its handler; claims are exclusive and removable; other
// remote domains still bounce.
func TestHandleDomain(t *testing.T) {
	r, sessions := world(t, nil)
	var got []string
	h := router.DomainHandlerFunc(func(_ context.Context, el *stream.Element, to jid.JID) {
		got = append(got, el.Local+" "+to.String())
	})
	rm, err := r.HandleDomain("Conference.Example.com", "muc", h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.HandleDomain("conference.example.com", "other", h); err == nil || !strings.Contains(err.Error(), "muc") || !strings.Contains(err.Error(), "other") {
		t.Fatalf("second claim: %v", err)
	}
	if _, err := r.HandleDomain("example.com", "other", h); err == nil {
		t.Fatal("a hosted domain was claimed as a service")
	}
	if !r.IsService("conference.example.com") || r.IsService("example.com") {
		t.Fatal("IsService")
	}
	for _, s := range []string{
		"<presence from='alice@example.com/desk' to='room@conference.example.com/nick'/>",
		"<message from='alice@example.com/desk' to='room@conference.example.com' type='groupchat'><body>x</body></message>",
		"<iq from='alice@example.com/desk' to='conference.example.com' type='get' id='1'><query xmlns='q'/></iq>",
	} {
		el, err := stream.DecodeElement([]byte(s), stream.DefaultLimits(), stream.NSClient)
		if err != nil {
			t.Fatal(err)
		}
		r.Route(context.Background(), el)
	}
	want := []string{"presence room@conference.example.com/nick", "message room@conference.example.com", "iq conference.example.com"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("handler got %q, want %q", got, want)
	}
	if b := sessions["alice@example.com/desk"].take(); len(b) != 0 {
		t.Fatalf("bounces %v", b)
	}
	rm()
	el, _ := stream.DecodeElement([]byte("<message from='alice@example.com/desk' to='room@conference.example.com'><body>x</body></message>"), stream.DefaultLimits(), stream.NSClient)
	r.Route(context.Background(), el)
	b := sessions["alice@example.com/desk"].take()
	if len(b) != 1 || b[0].Attr("type") != "error" || len(got) != 3 {
		t.Fatalf("after removal: bounces %v, handler calls %d", b, len(got))
	}
}

// TestHandleDomainPanic: a handler that panics costs the sender an
// internal-server-error, not the process.
func TestHandleDomainPanic(t *testing.T) {
	r, sessions := world(t, nil)
	if _, err := r.HandleDomain("svc.example.com", "bad", router.DomainHandlerFunc(func(context.Context, *stream.Element, jid.JID) {
		panic("boom")
	})); err != nil {
		t.Fatal(err)
	}
	el, _ := stream.DecodeElement([]byte("<iq from='alice@example.com/desk' to='svc.example.com' type='get' id='p'><q xmlns='x'/></iq>"), stream.DefaultLimits(), stream.NSClient)
	r.Route(context.Background(), el)
	b := sessions["alice@example.com/desk"].take()
	if len(b) != 1 || !strings.Contains(b[0].String(), "internal-server-error") {
		t.Fatalf("bounce %v", b)
	}
}
