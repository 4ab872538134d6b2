package stream

import (
	"strings"
	"testing"
)

func TestEscapeText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "hello world", "hello world"},
		{"markup", `<a href="x">&'</a>`, `&lt;a href="x"&gt;&amp;'&lt;/a&gt;`},
		{"cdata end", "]]>", "]]&gt;"},
		{"white space", "a\tb\nc\rd", "a\tb\nc&#xD;d"},
		{"crlf", "a\r\nb", "a&#xD;\nb"},
		{"utf-8", "Привет 😀", "Привет 😀"},
		{"control", "a\x00b\x1bc", "a\uFFFDb\uFFFDc"},
		{"invalid utf-8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"U+FFFE", "a\uFFFEb", "a\uFFFDb"},
		{"replacement kept", "\uFFFD", "\uFFFD"},
		{"escape at ends", "&x&", "&amp;x&amp;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(EscapeText([]byte("pre:"), tt.in)); got != "pre:"+tt.want {
				t.Fatalf("got %q, want %q", got, "pre:"+tt.want)
			}
		})
	}
}

func TestEscapeAttr(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "juliet@example.com/balcony", "juliet@example.com/balcony"},
		{"quotes", `it's "x"`, "it&apos;s &quot;x&quot;"},
		{"markup", "<a>&", "&lt;a&gt;&amp;"},
		{"white space", "a\tb\nc\rd e", "a&#x9;b&#xA;c&#xD;d e"},
		{"stravaganza", `'/><`, "&apos;/&gt;&lt;"},
		{"control", "\x01", "\uFFFD"},
		{"invalid utf-8", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"utf-8", "ñ😀", "ñ😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(EscapeAttr(nil, tt.in)); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAppendXML(t *testing.T) {
	const chat = "http://jabber.org/protocol/chatstates"
	tests := []struct {
		name     string
		e        *Element
		parentNS string
		want     string
	}{
		{"empty element", el(NSClient, "presence"), NSClient, `<presence/>`},
		{"namespace differs", el(NSClient, "presence"), "", `<presence xmlns='jabber:client'/>`},
		{"no namespace under a default", el("", "a"), NSClient, `<a xmlns=''/>`},
		{"attributes", el(NSClient, "message", "to", "a@b", "type", "chat"), NSClient,
			`<message to='a@b' type='chat'/>`},
		{"children inherit", el(NSClient, "message").AddChild(el(NSClient, "body").AddText("hi")).AddChild(el(chat, "active")), NSClient,
			`<message><body>hi</body><active xmlns='` + chat + `'/></message>`},
		{"grandchildren inherit", el("urn:a", "a").AddChild(el("urn:a", "b").AddChild(el("urn:a", "c"))), "",
			`<a xmlns='urn:a'><b><c/></b></a>`},
		{"back to parent namespace", el(NSClient, "a").AddChild(el("urn:x", "x").AddChild(el(NSClient, "y"))), NSClient,
			`<a><x xmlns='urn:x'><y xmlns='jabber:client'/></x></a>`},
		{"xml:lang", &Element{Space: NSClient, Local: "body", Attrs: []Attr{{Space: NSXML, Local: "lang", Value: "en"}}}, NSClient,
			`<body xml:lang='en'/>`},
		{"foreign attributes", &Element{Space: "urn:b", Local: "body", Attrs: []Attr{
			{Local: "rid", Value: "1"}, {Space: "urn:xmpp:xbosh", Local: "version", Value: "1.0"},
			{Space: "urn:x", Local: "a", Value: "2"}, {Space: "urn:xmpp:xbosh", Local: "restart", Value: "true"},
		}}, "",
			`<body xmlns='urn:b' xmlns:ns1='urn:xmpp:xbosh' xmlns:ns2='urn:x' rid='1' ns1:version='1.0' ns2:a='2' ns1:restart='true'/>`},
		{"xmlns attribute dropped", el(NSClient, "a", "xmlns", "urn:wrong", "b", "c"), NSClient, `<a b='c'/>`},
		{"xml element", el(NSXML, "x").AddChild(el(NSClient, "y")), NSClient, `<xml:x><y/></xml:x>`},
		{"escaped values", el(NSClient, "a", "v", `'"<>&`).AddText(`<>&`), NSClient,
			`<a v='&apos;&quot;&lt;&gt;&amp;'>&lt;&gt;&amp;</a>`},
		{"escaped namespace", el("urn:a'b", "a"), "", `<a xmlns='urn:a&apos;b'/>`},
		{"mixed content", el(NSClient, "p").AddText("a ").AddChild(el(NSClient, "b").AddText("b")).AddText(" c"), NSClient,
			`<p>a <b>b</b> c</p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.e.AppendXML([]byte("pre"), tt.parentNS))
			if got != "pre"+tt.want {
				t.Fatalf("got  %s\nwant pre%s", got, tt.want)
			}
			// What is written reads back as the same tree.
			back, err := DecodeElement([]byte(tt.want), DefaultLimits(), tt.parentNS)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.e.DeepCopy()
			if tt.name == "xmlns attribute dropped" {
				want.RemoveAttr("xmlns")
			}
			if d := diffTree(back, want); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestString(t *testing.T) {
	if got := el(NSClient, "a", "b", "c").String(); got != `<a xmlns='jabber:client' b='c'/>` {
		t.Fatal(got)
	}
	var e *Element
	if e.String() != "<nil>" {
		t.Fatal(e.String())
	}
}

// TestAttributeEscapingRoundTrip is the stravaganza bug: a parsed id
// holding &apos;/&gt;&lt; must be written back escaped, not as markup.
func TestAttributeEscapingRoundTrip(t *testing.T) {
	in := hdrClient + `<message id='&apos;/&gt;&lt;' to='a@b'><body>x</body></message>`
	res := decodeAll(in, 0, Limits{})
	if len(res.toks) != 2 {
		t.Fatal(res.err)
	}
	m := res.toks[1].Elem
	if id := m.Attr("id"); id != `'/><` {
		t.Fatalf("id %q", id)
	}
	out := string(m.AppendXML(nil, NSClient))
	want := `<message id='&apos;/&gt;&lt;' to='a@b'><body>x</body></message>`
	if out != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

// roundTrips are stanzas whose decoding, writing and decoding again must
// give the same tree.
var roundTrips = []string{
	benchMessage,
	benchPresence,
	`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony &amp; garden</resource></bind></iq>`,
	`<message xml:lang='en' type='groupchat'><body>a&#xD;&#xA;b&#x9;c</body><x xmlns='jabber:x:data' type='form'><field var='x'><value>&lt;1&gt;</value></field></x></message>`,
	`<message><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>Hi <em>you</em> <![CDATA[<&>]]></p></body></html></message>`,
	`<a xmlns:p='urn:p' xmlns:q='urn:q' p:x='1' q:x='2' p:y='3'><p:b q:z='4'/><c xmlns=''/></a>`,
	`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>`,
	`<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>x</text></stream:error>`,
	`<a v="tab&#9;nl&#10;cr&#13;" w='spaces  kept'>line1
line2	tab</a>`,
	`<xml:a><b/></xml:a>`,
	`<iq><query xmlns='jabber:iq:roster'><item jid='ñ@例え.jp' name='😀 &quot;x&quot;'/></query></iq>`,
}

func TestRoundTrip(t *testing.T) {
	for i, s := range roundTrips {
		t.Run(strings.Fields(s)[0], func(t *testing.T) {
			res := decodeAll(hdrClient+s, 0, Limits{})
			if len(res.toks) != 2 {
				t.Fatalf("%d: %v", i, res.err)
			}
			e := res.toks[1].Elem
			out := e.AppendXML(nil, NSClient)
			back, err := DecodeElement(out, DefaultLimits(), NSClient)
			if err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if d := diffTree(e, back); d != "" {
				t.Fatalf("%s: %s", out, d)
			}
			// And standalone, with no namespace in scope.
			out = []byte(e.String())
			back, err = DecodeElement(out, DefaultLimits(), "")
			if err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if d := diffTree(e, back); d != "" {
				t.Fatalf("%s: %s", out, d)
			}
		})
	}
}

func TestAppendStreamHeader(t *testing.T) {
	tests := []struct {
		name string
		h    StreamHeader
		want string
	}{
		{"full", StreamHeader{NS: NSClient, ID: "c2s1", From: "example.com", To: "juliet@example.com", Version: "1.0", Lang: "en"},
			`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' ` +
				`id='c2s1' from='example.com' to='juliet@example.com' version='1.0' xml:lang='en'>`},
		{"empty fields omitted", StreamHeader{NS: NSServer, From: "a.example"},
			`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='a.example'>`},
		{"escaped", StreamHeader{NS: NSComponent, ID: `'><x`},
			`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='&apos;&gt;&lt;x'>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendStreamHeader(nil, tt.h))
			if got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			// Our own header must decode.
			res := decodeAll(got+streamEnd, 1, Limits{})
			if len(res.toks) != 2 || res.toks[0].DefaultNS != tt.h.NS || res.toks[0].Elem.Attr("id") != tt.h.ID {
				t.Fatalf("decoding it: %v", res.err)
			}
		})
	}
}

func TestErrorAppendXML(t *testing.T) {
	got := string(E(PolicyViolation, "a<b").AppendXML(nil))
	want := `<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>` +
		`<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>a&lt;b</text></stream:error>`
	if got != want {
		t.Fatalf("got %s", got)
	}
}

func TestAppendXMLAllocs(t *testing.T) {
	e, err := DecodeElement([]byte(benchMessage), DefaultLimits(), NSClient)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = e.AppendXML(buf[:0], NSClient) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
