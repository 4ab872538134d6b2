package bosh

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// FuzzParseBody: any request body either parses or gets bad-request; it
// never panics, and a parsed payload is well-formed content.
func FuzzParseBody(f *testing.F) {
	f.Add([]byte(`<body rid='1' to='localhost' wait='60' hold='1' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>`))
	f.Add([]byte(`<body rid='2' sid='abc' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' to='a@b'><body>hi</body></message></body>`))
	f.Add([]byte(`<body rid='3' sid='abc' type='terminate' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'/>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := parseBody(raw, stream.DefaultLimits())
		if err != nil {
			if err != errBadRequest {
				t.Fatalf("error %v", err)
			}
			return
		}
		if b.rid <= 0 {
			t.Fatalf("rid %d", b.rid)
		}
		if len(b.payload) > 0 {
			wrapped := append(append([]byte("<x xmlns='jabber:client'>"), b.payload...), "</x>"...)
			if _, err := stream.DecodeElement(wrapped, stream.DefaultLimits(), ""); err != nil {
				t.Fatalf("payload %q: %v", b.payload, err)
			}
		}
	})
}

func BenchmarkParseBody(b *testing.B) {
	raw := []byte(`<body rid='2' sid='abcdefgh' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' to='romeo@example.net' type='chat'><body>Art thou not Romeo?</body></message></body>`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseBody(raw, stream.DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}
