package stream

import (
	"errors"
	"testing"
)

// fuzzLimits are small limits, so that the fuzzer reaches them.
var fuzzLimits = Limits{MaxStanzaBytes: 2048, MaxDepth: 8, MaxAttrs: 8}

// fuzzSeeds are realistic stream contents.
var fuzzSeeds = append([]string{
	`<message to='juliet@example.com' from='romeo@example.net/orchard' id='m1' type='chat'><body>Hi &amp; bye</body></message>`,
	`<presence><show>away</show><status>zZz</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v='/></presence>`,
	`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`,
	`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1qdWxpZXQscj1vTXNUQUF3QUFBQU1BQUFBTlAwVEFBQUFBQUJQVTBBQQ==</auth>`,
	`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`,
	` <r xmlns='urn:xmpp:sm:3'/>  <a xmlns='urn:xmpp:sm:3' h='3'/>` + "\n",
	`<message><body><![CDATA[<b>x</b>]]> &#x1F600; &lt;</body></message>`,
	`<p:a xmlns:p='urn:p' p:x='1' xml:lang='en'><p:b xmlns:p='urn:q'/><c xmlns=''/></p:a>`,
	`<message><!-- no --></message>`,
	`<message id='&apos;/&gt;&lt;'/>`,
	`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`,
	`<a>` + "\r\n" + `b&#xD;</a></stream:stream>`,
	`<a><b><c><d><e><f><g><h><i/></h></g></f></e></d></c></b></a>`,
	"<body>\xff</body>",
	`<a b='1'c='2'/>`,
	`<a / >`,
	`<a b"c'>`,
	`</stream:stream>`,
}, roundTrips...)

// FuzzDecoder feeds arbitrary bytes after a valid stream header, at once
// and in chunks. It must never panic, both readings must agree, and every
// stanza must write out as XML that DecodeElement reads back unchanged.
func FuzzDecoder(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(i))
		// Split at odd offsets too.
		f.Add([]byte(s+s), uint8(i*7+3))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		input := hdrClient + string(data)
		full := decodeAll(input, 0, fuzzLimits)
		split := decodeAll(input, 1+int(chunk%23), fuzzLimits)
		if d := diffResults(full, split); d != "" {
			t.Fatalf("whole vs chunks of %d: %s", 1+int(chunk%23), d)
		}
		var se *Error
		if full.err != nil && !errors.As(full.err, &se) && errKind(full.err) != "EOF" && errKind(full.err) != "unexpected EOF" {
			t.Fatalf("unexpected error type %T: %v", full.err, full.err)
		}
		for _, tok := range full.toks {
			if tok.Kind != KindStanza {
				continue
			}
			checkRoundTrip(t, tok.Elem, tok.DefaultNS)
		}
	})
}

// FuzzDecodeElement feeds arbitrary bytes to DecodeElement: no panics,
// only *Error failures, and a successful tree round-trips.
func FuzzDecodeElement(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`<?xml version='1.0'?><open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>`))
	f.Add([]byte(`<body rid='1' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true'/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeElement(data, fuzzLimits, NSClient)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		checkRoundTrip(t, e, NSClient)
	})
}

// checkRoundTrip writes e as a stanza of a stream whose default namespace
// is ns, and checks that it reads back as the same tree.
func checkRoundTrip(t *testing.T, e *Element, ns string) {
	t.Helper()
	out := e.AppendXML(nil, ns)
	// Escaping and generated declarations may make the output larger.
	lim := Limits{MaxStanzaBytes: 8 * len(out), MaxDepth: fuzzLimits.MaxDepth, MaxAttrs: 2*fuzzLimits.MaxAttrs + 1}
	back, err := DecodeElement(out, lim, ns)
	if err != nil {
		t.Fatalf("output does not decode: %v\n%s", err, out)
	}
	if d := diffTree(e, back); d != "" {
		t.Fatalf("round trip differs: %s\n%s", d, out)
	}
}
