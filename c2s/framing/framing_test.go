package framing

import (
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/stream"
)

func collect(t testing.TB, s *Splitter, chunks ...string) []Unit {
	var out []Unit
	for _, c := range chunks {
		err := s.Write([]byte(c), func(u Unit) error {
			u.Data = append([]byte(nil), u.Data...)
			out = append(out, u)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestSplit(t *testing.T) {
	hdr := string(stream.AppendStreamHeader(nil, stream.StreamHeader{NS: stream.NSClient, ID: "abc", From: "example.com", Version: "1.0", Lang: "en"}))
	tests := []struct {
		name   string
		chunks []string
		want   []string // "H:id:from", "C", or element bytes
	}{
		{"header and features", []string{hdr + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"},
			[]string{"H:abc:example.com", "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"}},
		{"stanzas get jabber:client", []string{"<message to='a@b' id='x'><body>a &lt; b > c</body></message><presence/>"},
			[]string{"<message xmlns='jabber:client' to='a@b' id='x'><body>a &lt; b > c</body></message>", "<presence xmlns='jabber:client'/>"}},
		{"qualified kept", []string{"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>eA==</success>"},
			[]string{"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>eA==</success>"}},
		{"attribute with >", []string{"<iq id='a>b' type='result'><q xmlns='x' v=\"/>\"/></iq>"},
			[]string{"<iq xmlns='jabber:client' id='a>b' type='result'><q xmlns='x' v=\"/>\"/></iq>"}},
		{"split across writes", []string{"<message><bo", "dy>hi</body></mess", "age></stream:str", "eam>"},
			[]string{"<message xmlns='jabber:client'><body>hi</body></message>", "C"}},
		{"error then close", []string{"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"},
			[]string{"<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", "C"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Splitter
			var got []string
			for _, u := range collect(t, &s, tt.chunks...) {
				switch u.Kind {
				case Header:
					got = append(got, "H:"+u.ID+":"+u.From)
				case Close:
					got = append(got, "C")
				default:
					got = append(got, string(u.Data))
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
			if s.Pending() {
				t.Fatal("bytes left pending")
			}
		})
	}
}

// FuzzSplit checks the splitter never panics, and that every element it
// yields from serializer output parses as one element.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("<message to='a'><body>x</body></message>"), 3)
	f.Add([]byte("<?xml version='1.0'?><stream:stream id='1' from='x'><stream:features/></stream:stream>"), 10)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		var s Splitter
		if cut < 0 || cut > len(b) {
			cut = len(b) / 2
		}
		fn := func(u Unit) error { return nil }
		s.Write(b[:cut], fn)
		s.Write(b[cut:], fn)
		// Serializer output must come back as the same elements.
		el, err := stream.DecodeElement(b, stream.DefaultLimits(), stream.NSClient)
		if err != nil {
			return
		}
		out := el.AppendXML(nil, stream.NSClient)
		var s2 Splitter
		n := 0
		s2.Write(out, func(u Unit) error {
			if u.Kind != Element {
				return nil
			}
			n++
			if _, err := stream.DecodeElement(u.Data, stream.DefaultLimits(), ""); err != nil {
				t.Fatalf("unit %q of %q: %v", u.Data, out, err)
			}
			return nil
		})
		if n != 1 && !strings.HasPrefix(string(out), "<stream:stream") {
			t.Fatalf("%d units from %q", n, out)
		}
	})
}

func BenchmarkSplit(b *testing.B) {
	msg := []byte("<message to='romeo@example.net/orchard' from='juliet@example.com/balcony' type='chat' id='ktx72v49'><body>Art thou not Romeo, and a Montague?</body></message>")
	var s Splitter
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		s.Write(msg, func(Unit) error { return nil })
	}
}
