package stream

import (
	"io"
	"strings"
	"testing"
)

// benchMessage is a typical one-to-one chat message: 250 bytes.
const benchMessage = `<message to='juliet@capulet.example/balcony' from='romeo@montague.example/orchard' id='ktx72v49' type='chat'>` +
	`<body>Art thou not Romeo, and a Montague? Neither, fair saint, if either.</body>` +
	`<active xmlns='http://jabber.org/protocol/chatstates'/></message>`

// benchPresence is a typical presence broadcast with entity capabilities.
const benchPresence = `<presence from='romeo@montague.example/orchard' to='juliet@capulet.example'>` +
	`<show>away</show><status>In the orchard</status><priority>5</priority>` +
	`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org/client' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`

const benchHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' ` +
	`xmlns:stream='http://etherx.jabber.org/streams' to='capulet.example' version='1.0'>`

// repeatReader yields a stream header, then the same stanzas forever, as
// a busy socket would.
type repeatReader struct {
	head  string
	block string
	off   int
}

func newRepeatReader(stanza string) *repeatReader {
	return &repeatReader{head: benchHeader, block: strings.Repeat(stanza, 256)}
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.head != "" {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.block[r.off:])
		n += k
		r.off = (r.off + k) % len(r.block)
	}
	return n, nil
}

var _ io.Reader = (*repeatReader)(nil)

func benchDecode(b *testing.B, stanza string) {
	d := NewDecoder(newRepeatReader(stanza), DefaultLimits())
	if tok, err := d.Next(); err != nil || tok.Kind != KindStreamStart {
		b.Fatalf("header: %v %v", tok.Kind, err)
	}
	b.SetBytes(int64(len(stanza)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tok, err := d.Next()
		if err != nil || tok.Kind != KindStanza {
			b.Fatalf("stanza: %v %v", tok.Kind, err)
		}
	}
}

// BenchmarkDecodeMessage decodes one 250-byte chat message per op.
// Target: >= 500k stanzas/s on one core; 4 allocations (the stanza's byte
// copy plus the element, attribute and child slabs of its tree).
func BenchmarkDecodeMessage(b *testing.B) { benchDecode(b, benchMessage) }

// BenchmarkDecodePresence decodes one presence with caps per op.
func BenchmarkDecodePresence(b *testing.B) { benchDecode(b, benchPresence) }

// BenchmarkAppendXMLMessage serializes a decoded message into a reused
// buffer. Target: 0 allocations.
func BenchmarkAppendXMLMessage(b *testing.B) {
	e, err := DecodeElement([]byte(benchMessage), DefaultLimits(), NSClient)
	if err != nil {
		b.Fatal(err)
	}
	buf := e.AppendXML(nil, NSClient)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf = e.AppendXML(buf[:0], NSClient)
	}
}
