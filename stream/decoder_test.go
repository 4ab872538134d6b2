package stream

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// chunkings are the read sizes every decoder test is repeated with; 0
// means the whole input at once.
var chunkings = []int{0, 1, 2, 3, 7, 64}

func TestDecoderErrors(t *testing.T) {
	small := Limits{MaxStanzaBytes: 200, MaxDepth: 4, MaxAttrs: 3}
	tests := []struct {
		name  string
		input string // a whole stream, header included
		lim   Limits
		want  Condition
	}{
		// RFC 6120 §11.1: restricted XML.
		{"doctype before header", `<!DOCTYPE stream>` + hdrClient, Limits{}, RestrictedXML},
		{"comment before header", `<!-- hi -->` + hdrClient, Limits{}, RestrictedXML},
		{"comment after declaration", `<?xml version='1.0'?><!-- hi --><stream:stream/>`, Limits{}, RestrictedXML},
		{"pi before header", `<?php echo 1 ?>` + hdrClient, Limits{}, RestrictedXML},
		{"pi named like the declaration", `<?xml-stylesheet href='a'?>` + hdrClient, Limits{}, RestrictedXML},
		{"declaration after white space", "\n" + hdrClient, Limits{}, RestrictedXML},
		{"declaration inside the stream", hdrClient + `<?xml version='1.0'?>`, Limits{}, RestrictedXML},
		{"comment between stanzas", hdrClient + `<presence/><!-- x --><presence/>`, Limits{}, RestrictedXML},
		{"comment in stanza", hdrClient + `<message><!-- x --></message>`, Limits{}, RestrictedXML},
		{"pi in stanza", hdrClient + `<message><?x y?></message>`, Limits{}, RestrictedXML},
		{"pi between stanzas", hdrClient + `<?x y?>`, Limits{}, RestrictedXML},
		{"doctype in stanza", hdrClient + `<message><!DOCTYPE x></message>`, Limits{}, RestrictedXML},
		{"entity declaration", hdrClient + `<message><!ENTITY x 'y'></message>`, Limits{}, RestrictedXML},
		{"undefined entity in text", hdrClient + `<message><body>&nbsp;</body></message>`, Limits{}, RestrictedXML},
		{"undefined entity in attribute", hdrClient + `<message id='&foo;'/>`, Limits{}, RestrictedXML},
		{"undefined entity in header", `<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='&x;'>`, Limits{}, RestrictedXML},

		// Well-formedness.
		{"mismatched tags", hdrClient + `<message><body></message></body>`, Limits{}, NotWellFormed},
		{"mismatched prefix", hdrClient + `<a xmlns:p='u' xmlns:q='u'><p:b></q:b></a>`, Limits{}, NotWellFormed},
		{"duplicate attribute", hdrClient + `<message id='1' id='2'/>`, Limits{}, NotWellFormed},
		{"duplicate attribute by namespace", hdrClient + `<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>`, Limits{}, NotWellFormed},
		{"duplicate declaration", hdrClient + `<a xmlns:p='u' xmlns:p='v'/>`, Limits{}, NotWellFormed},
		{"duplicate default declaration", hdrClient + `<a xmlns='u' xmlns='v'/>`, Limits{}, NotWellFormed},
		{"unquoted attribute", hdrClient + `<message id=1/>`, Limits{}, NotWellFormed},
		{"attribute without value", hdrClient + `<message id/>`, Limits{}, NotWellFormed},
		{"no space between attributes", hdrClient + `<message id='1'to='a'/>`, Limits{}, NotWellFormed},
		{"lt in attribute", hdrClient + `<message id='<'/>`, Limits{}, NotWellFormed},
		{"lt in tag", hdrClient + `<message <body/>`, Limits{}, NotWellFormed},
		{"bare ampersand", hdrClient + `<body>a & b</body>`, Limits{}, NotWellFormed},
		{"unterminated reference", hdrClient + `<body>&amp</body>`, Limits{}, NotWellFormed},
		{"char ref to NUL", hdrClient + `<body>&#0;</body>`, Limits{}, NotWellFormed},
		{"char ref to surrogate", hdrClient + `<body>&#xD800;</body>`, Limits{}, NotWellFormed},
		{"char ref to FFFE", hdrClient + `<body>&#xFFFE;</body>`, Limits{}, NotWellFormed},
		{"char ref too large", hdrClient + `<body>&#x110000;</body>`, Limits{}, NotWellFormed},
		{"char ref empty", hdrClient + `<body>&#;</body>`, Limits{}, NotWellFormed},
		{"char ref bad digit", hdrClient + `<body>&#12a;</body>`, Limits{}, NotWellFormed},
		{"invalid UTF-8 in text", hdrClient + "<body>\xff</body>", Limits{}, NotWellFormed},
		{"invalid UTF-8 in attribute", hdrClient + "<body a='\xc3\x28'/>", Limits{}, NotWellFormed},
		{"invalid UTF-8 in name", hdrClient + "<b\xe2\x82ody/>", Limits{}, NotWellFormed},
		{"overlong UTF-8", hdrClient + "<body>\xc0\xaf</body>", Limits{}, NotWellFormed},
		{"encoded surrogate", hdrClient + "<body>\xed\xa0\x80</body>", Limits{}, NotWellFormed},
		{"U+FFFF", hdrClient + "<body>\xef\xbf\xbf</body>", Limits{}, NotWellFormed},
		{"control character", hdrClient + "<body>\x01</body>", Limits{}, NotWellFormed},
		{"control character in attribute", hdrClient + "<body a='\x1b'/>", Limits{}, NotWellFormed},
		{"NUL between stanzas", hdrClient + "<a/>\x00", Limits{}, NotWellFormed},
		{"text before header", `hello` + hdrClient, Limits{}, NotWellFormed},
		{"text between stanzas", hdrClient + `<presence/>hello<presence/>`, Limits{}, NotWellFormed},
		{"entity between stanzas", hdrClient + `&amp;`, Limits{}, NotWellFormed},
		{"CDATA between stanzas", hdrClient + `<![CDATA[x]]>`, Limits{}, NotWellFormed},
		{"CDATA-like garbage", hdrClient + `<a><![CDAT[x]]></a>`, Limits{}, NotWellFormed},
		{"end tag before header", `</stream:stream>`, Limits{}, NotWellFormed},
		{"wrong stream end tag", hdrClient + `</stream:foo>`, Limits{}, NotWellFormed},
		{"stream end tag with another prefix", hdrClient + `</s:stream>`, Limits{}, NotWellFormed},
		{"stream end tag junk", hdrClient + `</stream:stream x>`, Limits{}, NotWellFormed},
		{"cdata end in text", hdrClient + `<body>a]]>b</body>`, Limits{}, NotWellFormed},
		{"name starts with digit", hdrClient + `<1a/>`, Limits{}, NotWellFormed},
		{"two colons", hdrClient + `<a:b:c xmlns:a='u'/>`, Limits{}, NotWellFormed},
		{"empty prefix", hdrClient + `<:a/>`, Limits{}, NotWellFormed},
		{"empty local name", hdrClient + `<a: xmlns:a='u'/>`, Limits{}, NotWellFormed},
		{"space after lt", hdrClient + `< a/>`, Limits{}, NotWellFormed},
		{"slash not before gt", hdrClient + `<a / >`, Limits{}, NotWellFormed},
		{"end tag with attribute", hdrClient + `<a></a x='1'>`, Limits{}, NotWellFormed},
		{"bad xml declaration", `<?xml version='2.0'?>` + hdrClient, Limits{}, NotWellFormed},
		{"declaration without version", `<?xml encoding='UTF-8'?>` + hdrClient, Limits{}, NotWellFormed},
		{"declaration bad standalone", `<?xml version='1.0' standalone='maybe'?>` + hdrClient, Limits{}, NotWellFormed},
		{"declaration out of order", `<?xml version='1.0' standalone='yes' encoding='UTF-8'?>` + hdrClient, Limits{}, NotWellFormed},

		// Encodings.
		{"latin-1 declared", `<?xml version='1.0' encoding='ISO-8859-1'?>` + hdrClient, Limits{}, UnsupportedEncoding},
		{"UTF-16 byte order mark", "\xfe\xff\x00<", Limits{}, UnsupportedEncoding},
		{"UTF-16LE without mark", "<\x00s\x00", Limits{}, UnsupportedEncoding},

		// Namespaces.
		{"undeclared element prefix", hdrClient + `<foo:bar/>`, Limits{}, BadNamespacePrefix},
		{"undeclared attribute prefix", hdrClient + `<message foo:id='1'/>`, Limits{}, BadNamespacePrefix},
		{"prefix out of scope", hdrClient + `<a><b xmlns:p='u'/><p:c/></a>`, Limits{}, BadNamespacePrefix},
		{"prefix bound to nothing", hdrClient + `<a xmlns:p=''/>`, Limits{}, BadNamespacePrefix},
		{"xmlns prefix on element", hdrClient + `<xmlns:a/>`, Limits{}, BadNamespacePrefix},
		{"xml prefix rebound", hdrClient + `<a xmlns:xml='urn:x'/>`, Limits{}, BadNamespacePrefix},
		{"xml namespace bound", hdrClient + `<a xmlns:x='http://www.w3.org/XML/1998/namespace'/>`, Limits{}, BadNamespacePrefix},
		{"xml namespace as default", hdrClient + `<a xmlns='http://www.w3.org/XML/1998/namespace'/>`, Limits{}, BadNamespacePrefix},
		{"xmlns prefix declared", hdrClient + `<a xmlns:xmlns='urn:x'/>`, Limits{}, BadNamespacePrefix},
		{"undeclared prefix in header", `<stream:stream>`, Limits{}, BadNamespacePrefix},

		// Limits.
		{"stanza too large", hdrClient + `<message><body>` + strings.Repeat("a", 300) + `</body></message>`, small, PolicyViolation},
		{"stanza too large, unfinished", hdrClient + `<message><body>` + strings.Repeat("a", 300), small, PolicyViolation},
		{"too deep", hdrClient + `<a><b><c><d><e/></d></c></b></a>`, small, PolicyViolation},
		{"too deep, unfinished", hdrClient + `<a><b><c><d><e>`, small, PolicyViolation},
		{"too many attributes", hdrClient + `<a b='1' c='2' d='3' e='4'/>`, small, PolicyViolation},
		{"too many declarations", hdrClient + `<a xmlns:b='1' xmlns:c='2' xmlns:d='3' xmlns:e='4'/>`, small, PolicyViolation},
		{"header too large", `<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='` + strings.Repeat("a", 300) + `'>`, small, PolicyViolation},
		{"header too large, unfinished", `<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='` + strings.Repeat("a", 300), small, PolicyViolation},
		{"attribute value unfinished", hdrClient + `<message id='` + strings.Repeat("a", 300), small, PolicyViolation},
		{"CDATA unfinished", hdrClient + `<message><![CDATA[` + strings.Repeat("a", 300), small, PolicyViolation},
		{"end tag too large", hdrClient + `</stream:stream` + strings.Repeat(" ", 300), small, PolicyViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range chunkings {
				res := decodeAll(tt.input, chunk, tt.lim)
				if !errors.Is(res.err, &Error{Condition: tt.want}) {
					t.Fatalf("chunk %d: got %v after %d tokens, want %s", chunk, res.err, len(res.toks), tt.want)
				}
			}
		})
	}
}

func TestDecoderErrorIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader(hdrClient+`<a></b><presence/>`), Limits{})
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	_, err1 := d.Next()
	_, err2 := d.Next()
	if !errors.Is(err1, &Error{Condition: NotWellFormed}) || err2 != err1 {
		t.Fatalf("got %v then %v", err1, err2)
	}
}

// stanzaTest is one stream and the trees its stanzas must decode to.
type stanzaTest struct {
	name   string
	header string
	body   string
	want   []*Element
}

func el(space, local string, kv ...string) *Element { return NewElement(space, local, kv...) }

func TestDecoderNamespaces(t *testing.T) {
	const db = "jabber:server:dialback"
	tests := []stanzaTest{
		{"client default", hdrClient, `<message to='a@b'/>`,
			[]*Element{el(NSClient, "message", "to", "a@b")}},
		{"server default", hdrServer, `<presence/>`,
			[]*Element{el(NSServer, "presence")}},
		{"component default", hdrComponent, `<handshake>abc</handshake>`,
			[]*Element{el(NSComponent, "handshake").AddText("abc")}},
		{"stream prefix from header", hdrClient, `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>`,
			[]*Element{el(NSStream, "features").AddChild(el(NSBind, "bind"))}},
		{"header prefix used in stanza", hdrServer, `<db:result from='a' to='b'>key</db:result>`,
			[]*Element{el(db, "result", "from", "a", "to", "b").AddText("key")}},
		{"other stream prefix", `<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client'>`,
			`<s:features/><message/></s:stream>`,
			[]*Element{el(NSStream, "features"), el(NSClient, "message")}},
		{"stream in default namespace", `<stream xmlns='http://etherx.jabber.org/streams'>`,
			`<features/><message xmlns='jabber:client'/></stream>`,
			[]*Element{el(NSStream, "features"), el(NSClient, "message")}},
		{"nested redeclarations", hdrClient,
			`<message><x xmlns='urn:a'><y/><z xmlns='urn:b'><w/></z><v/></x><body/></message>`,
			[]*Element{el(NSClient, "message").
				AddChild(el("urn:a", "x").
					AddChild(el("urn:a", "y")).
					AddChild(el("urn:b", "z").AddChild(el("urn:b", "w"))).
					AddChild(el("urn:a", "v"))).
				AddChild(el(NSClient, "body"))}},
		{"prefixed payload", hdrClient,
			`<iq type='get' id='1'><p:query xmlns:p='urn:q'><p:item/><item/></p:query></iq>`,
			[]*Element{el(NSClient, "iq", "type", "get", "id", "1").
				AddChild(el("urn:q", "query").AddChild(el("urn:q", "item")).AddChild(el(NSClient, "item")))}},
		{"prefix shadowed", hdrClient,
			`<p:a xmlns:p='u1'><p:b xmlns:p='u2'/><p:c/></p:a>`,
			[]*Element{el("u1", "a").AddChild(el("u2", "b")).AddChild(el("u1", "c"))}},
		{"default undeclared", hdrClient, `<a><b xmlns=''><c/></b></a>`,
			[]*Element{el(NSClient, "a").AddChild(el("", "b").AddChild(el("", "c")))}},
		{"declarations are not attributes", hdrClient,
			`<a xmlns='urn:a' xmlns:p='urn:p' id='1' p:x='2' xml:lang='en'/>`,
			[]*Element{{Space: "urn:a", Local: "a", Attrs: []Attr{
				{Local: "id", Value: "1"}, {Space: "urn:p", Local: "x", Value: "2"}, {Space: NSXML, Local: "lang", Value: "en"},
			}}}},
		{"xml prefix may be declared", hdrClient,
			`<a xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='de'/>`,
			[]*Element{{Space: NSClient, Local: "a", Attrs: []Attr{{Space: NSXML, Local: "lang", Value: "de"}}}}},
		{"same local name in two namespaces", hdrClient,
			`<a xmlns:p='u1' xmlns:q='u2' p:x='1' q:x='2' x='3'/>`,
			[]*Element{{Space: NSClient, Local: "a", Attrs: []Attr{
				{Space: "u1", Local: "x", Value: "1"}, {Space: "u2", Local: "x", Value: "2"}, {Local: "x", Value: "3"},
			}}}},
		{"escaped namespace", hdrClient, `<a xmlns='urn:a&amp;b'><b/></a>`,
			[]*Element{el("urn:a&b", "a").AddChild(el("urn:a&b", "b"))}},
		{"declaration after use in the same tag", hdrClient, `<p:a p:x='1' xmlns:p='u'/>`,
			[]*Element{{Space: "u", Local: "a", Attrs: []Attr{{Space: "u", Local: "x", Value: "1"}}}}},
		{"unicode names", hdrClient, `<ñandú xmlns:π='urn:pi' π:ß='1'/>`,
			[]*Element{{Space: NSClient, Local: "ñandú", Attrs: []Attr{{Space: "urn:pi", Local: "ß", Value: "1"}}}}},
		{"many namespaces", hdrClient,
			`<a xmlns:b='u1'><b:c xmlns:d='u2'><d:e xmlns:f='u3'><f:g/><b:h/></d:e></b:c></a>`,
			[]*Element{el(NSClient, "a").AddChild(el("u1", "c").AddChild(el("u2", "e").AddChild(el("u3", "g")).AddChild(el("u1", "h"))))}},
	}
	runStanzaTests(t, tests)
}

func TestDecoderContent(t *testing.T) {
	tests := []stanzaTest{
		{"predefined entities in text", hdrClient, `<body>&lt;&gt;&amp;&apos;&quot;</body>`,
			[]*Element{el(NSClient, "body").AddText(`<>&'"`)}},
		{"predefined entities in attribute", hdrClient, `<a v='&lt;&gt;&amp;&apos;&quot;'/>`,
			[]*Element{el(NSClient, "a", "v", `<>&'"`)}},
		{"character references", hdrClient, `<body>&#65;&#x42;&#x1F600;&#233;</body>`,
			[]*Element{el(NSClient, "body").AddText("AB😀é")}},
		{"character references in attribute", hdrClient, `<a v='&#x9;&#xA;&#xD;&#32;'/>`,
			[]*Element{el(NSClient, "a", "v", "\t\n\r ")}},
		{"attribute white space normalized", hdrClient, "<a v='x\ty\nz\r\nw\rv'/>",
			[]*Element{el(NSClient, "a", "v", "x y z w v")}},
		{"double quotes", hdrClient, `<a v="it's" w='say "hi"'/>`,
			[]*Element{el(NSClient, "a", "v", "it's", "w", `say "hi"`)}},
		{"gt in attribute", hdrClient, `<a v='a>b' w="/>"/>`,
			[]*Element{el(NSClient, "a", "v", "a>b", "w", "/>")}},
		{"line ends normalized", hdrClient, "<body>a\r\nb\rc\n</body>",
			[]*Element{el(NSClient, "body").AddText("a\nb\nc\n")}},
		{"carriage return reference kept", hdrClient, "<body>a&#xD;\nb</body>",
			[]*Element{el(NSClient, "body").AddText("a\r\nb")}},
		{"CDATA", hdrClient, `<body><![CDATA[<b>&amp;</b>]]></body>`,
			[]*Element{el(NSClient, "body").AddText("<b>&amp;</b>")}},
		{"CDATA merged with text", hdrClient, `<body>a<![CDATA[b]]>c<![CDATA[]]><![CDATA[d]]]]>e</body>`,
			[]*Element{el(NSClient, "body").AddText("abcd]]e")}},
		{"CDATA with line ends", hdrClient, "<body><![CDATA[a\r\nb]]></body>",
			[]*Element{el(NSClient, "body").AddText("a\nb")}},
		{"empty CDATA", hdrClient, `<body><![CDATA[]]></body>`,
			[]*Element{el(NSClient, "body")}},
		{"mixed content", hdrClient,
			`<html xmlns='http://jabber.org/protocol/xhtml-im'><body>Hi <b>there</b>, <i>you</i>!</body></html>`,
			[]*Element{el("http://jabber.org/protocol/xhtml-im", "html").AddChild(
				el("http://jabber.org/protocol/xhtml-im", "body").AddText("Hi ").
					AddChild(el("http://jabber.org/protocol/xhtml-im", "b").AddText("there")).AddText(", ").
					AddChild(el("http://jabber.org/protocol/xhtml-im", "i").AddText("you")).AddText("!"))}},
		{"white space inside stanza kept", hdrClient, "<message>\n  <body>x</body>\n</message>",
			[]*Element{el(NSClient, "message").AddText("\n  ").AddChild(el(NSClient, "body").AddText("x")).AddText("\n")}},
		{"white space keepalives", hdrClient, " \n\t <presence/>\n \r\n<presence/>   \n\n",
			[]*Element{el(NSClient, "presence"), el(NSClient, "presence")}},
		{"white space in tags", hdrClient, "<a\n x = 'y'\t/><b ></b\n>",
			[]*Element{el(NSClient, "a", "x", "y"), el(NSClient, "b")}},
		{"utf-8 text", hdrClient, `<body>Привет, 世界 😀</body>`,
			[]*Element{el(NSClient, "body").AddText("Привет, 世界 😀")}},
		{"brackets in text", hdrClient, `<body>a]b]]c]>d</body>`,
			[]*Element{el(NSClient, "body").AddText("a]b]]c]>d")}},
		{"empty element", hdrClient, `<a></a>`,
			[]*Element{el(NSClient, "a")}},
		{"deep", hdrClient, `<a><b><c><d>x</d></c></b></a>`,
			[]*Element{el(NSClient, "a").AddChild(el(NSClient, "b").AddChild(el(NSClient, "c").AddChild(el(NSClient, "d").AddText("x"))))}},
		{"large stanza", hdrClient, `<body>` + strings.Repeat("x&amp;", 5000) + `</body>`,
			[]*Element{el(NSClient, "body").AddText(strings.Repeat("x&", 5000))}},
		{"many children", hdrClient, `<a>` + strings.Repeat(`<b c='d'>e</b>`, 100) + `</a>`,
			[]*Element{func() *Element {
				e := el(NSClient, "a")
				for range 100 {
					e.AddChild(el(NSClient, "b", "c", "d").AddText("e"))
				}
				return e
			}()}},
		{"stream end", hdrClient, `<a/></stream:stream>`,
			[]*Element{el(NSClient, "a")}},
		{"stream end with space", hdrClient, "<a/></stream:stream \n>",
			[]*Element{el(NSClient, "a")}},
		{"declaration with encoding", `<?xml version="1.0" encoding="utf-8" standalone='no' ?>` + hdrClient[len(`<?xml version='1.0'?>`):], `<a/>`,
			[]*Element{el(NSClient, "a")}},
		{"byte order mark", "\xef\xbb\xbf" + hdrClient, `<a/>`,
			[]*Element{el(NSClient, "a")}},
		{"white space before header", " \n" + hdrClient[len(`<?xml version='1.0'?>`):], `<a/>`,
			[]*Element{el(NSClient, "a")}},
	}
	runStanzaTests(t, tests)
}

// runStanzaTests decodes each stream with every chunking and compares the
// stanzas with the wanted trees.
func runStanzaTests(t *testing.T, tests []stanzaTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range chunkings {
				res := decodeAll(tt.header+tt.body, chunk, Limits{})
				if len(res.toks) == 0 || res.toks[0].Kind != KindStreamStart {
					t.Fatalf("chunk %d: no stream header: %v", chunk, res.err)
				}
				var got []*Element
				for i, tok := range res.toks[1:] {
					switch {
					case tok.Kind == KindStanza:
						got = append(got, tok.Elem)
					case tok.Kind != KindStreamEnd || i != len(res.toks)-2:
						t.Fatalf("chunk %d: token %d is %v", chunk, i+1, tok.Kind)
					}
				}
				if len(got) != len(tt.want) {
					t.Fatalf("chunk %d: got %d stanzas, want %d (err %v)", chunk, len(got), len(tt.want), res.err)
				}
				for i := range got {
					if d := diffTree(got[i], tt.want[i]); d != "" {
						t.Fatalf("chunk %d: stanza %d: %s", chunk, i, d)
					}
				}
				if res.err != io.EOF {
					t.Fatalf("chunk %d: ended with %v", chunk, res.err)
				}
			}
		})
	}
}

func TestDecoderTokens(t *testing.T) {
	in := hdrClient + "<message id='1'><body>hi</body></message> <iq type='get' id='2'/>\n" + streamEnd + "trailing garbage is never read"
	d := NewDecoder(strings.NewReader(in), DefaultLimits())

	tok, err := d.Next()
	if err != nil || tok.Kind != KindStreamStart {
		t.Fatalf("header: %v %v", tok.Kind, err)
	}
	h := tok.Elem
	if !h.Is(NSStream, "stream") || h.Attr("to") != "example.com" || h.Attr("version") != "1.0" ||
		len(h.Attrs) != 2 || len(h.Children) != 0 || tok.DefaultNS != NSClient {
		t.Fatalf("header: %v, default %q", h, tok.DefaultNS)
	}
	tok, err = d.Next()
	if err != nil || tok.Kind != KindStanza || !tok.Elem.Is(NSClient, "message") || tok.Elem.ChildText(NSClient, "body") != "hi" {
		t.Fatalf("message: %v %v %v", tok.Kind, tok.Elem, err)
	}
	tok, err = d.Next()
	if err != nil || tok.Kind != KindStanza || tok.Elem.Attr("id") != "2" || tok.DefaultNS != NSClient {
		t.Fatalf("iq: %v %v %v", tok.Kind, tok.Elem, err)
	}
	tok, err = d.Next()
	if err != nil || tok.Kind != KindStreamEnd || tok.Elem != nil {
		t.Fatalf("end: %v %v", tok.Kind, err)
	}
	for range 2 {
		if _, err = d.Next(); err != io.EOF {
			t.Fatalf("after end: %v", err)
		}
	}
}

func TestDecoderSelfClosingHeader(t *testing.T) {
	res := decodeAll(`<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>`, 0, Limits{})
	if len(res.toks) != 2 || res.toks[0].Kind != KindStreamStart || res.toks[1].Kind != KindStreamEnd || res.err != io.EOF {
		t.Fatalf("got %v", res)
	}
}

func TestDecoderEOF(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"empty", "", "EOF"},
		{"after declaration", `<?xml version='1.0'?>`, "EOF"},
		{"in declaration", `<?xml version='1.0'`, "unexpected EOF"},
		{"in header", `<stream:stream xmlns:stream='http://etherx.jabber.org/streams'`, "unexpected EOF"},
		{"between stanzas", hdrClient + `<a/> `, "EOF"},
		{"in stanza", hdrClient + `<a><b/>`, "unexpected EOF"},
		{"in markup", hdrClient + `<`, "unexpected EOF"},
		{"in end tag", hdrClient + `</stream:str`, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range chunkings {
				res := decodeAll(tt.input, chunk, Limits{})
				if errKind(res.err) != tt.want {
					t.Fatalf("chunk %d: got %v, want %s", chunk, res.err, tt.want)
				}
			}
		})
	}
}

// stepReader plays a script of reads: each step returns its data and error.
type stepReader struct {
	steps []step
}

type step struct {
	data string
	err  error
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.steps) == 0 {
		return 0, io.EOF
	}
	s := &r.steps[0]
	n := copy(p, s.data)
	s.data = s.data[n:]
	if s.data != "" {
		return n, nil
	}
	err := s.err
	r.steps = r.steps[1:]
	return n, err
}

func TestDecoderReaderErrors(t *testing.T) {
	timeout := os.ErrDeadlineExceeded
	r := &stepReader{steps: []step{
		{hdrClient + `<message id='1'><bo`, timeout},
		{`dy>x</body></message><presence/>`, io.EOF},
	}}
	d := NewDecoder(r, DefaultLimits())
	if tok, err := d.Next(); err != nil || tok.Kind != KindStreamStart {
		t.Fatalf("header: %v", err)
	}
	// The deadline ends the read inside the message; the caller may retry.
	if _, err := d.Next(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want the deadline error", err)
	}
	tok, err := d.Next()
	if err != nil || tok.Elem.ChildText(NSClient, "body") != "x" {
		t.Fatalf("after retry: %v %v", tok.Elem, err)
	}
	// Data returned together with io.EOF is decoded before the EOF.
	if tok, err = d.Next(); err != nil || !tok.Elem.Is(NSClient, "presence") {
		t.Fatalf("presence: %v %v", tok.Elem, err)
	}
	if _, err = d.Next(); err != io.EOF {
		t.Fatalf("got %v, want EOF", err)
	}

	boom := errors.New("boom")
	d = NewDecoder(iotest.ErrReader(boom), DefaultLimits())
	if _, err := d.Next(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	d = NewDecoder(&stepReader{steps: []step{{"", nil}, {"", nil}}}, DefaultLimits())
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("got %v, want EOF", err)
	}
}

// emptyReader never returns anything.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

func TestDecoderNoProgress(t *testing.T) {
	d := NewDecoder(emptyReader{}, DefaultLimits())
	if _, err := d.Next(); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("got %v", err)
	}
}

func TestDecoderOneByteReader(t *testing.T) {
	in := hdrServer + "\n<db:result from='a' to='b'>k</db:result>" + benchMessage + benchPresence +
		"<iq type='result' id='x'><query xmlns='jabber:iq:roster'><item jid='a@b' name='&lt;A&gt;'/></query></iq>" +
		"<message><body>a<![CDATA[<b>]]>c</body></message>" + streamEnd
	full := decodeAll(in, 0, Limits{})
	if full.err != io.EOF || len(full.toks) != 7 {
		t.Fatalf("full read: %d tokens, %v", len(full.toks), full.err)
	}
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(in)), Limits{})
	var one result
	for {
		tok, err := d.Next()
		if err != nil {
			one.err = err
			break
		}
		one.toks = append(one.toks, tok)
	}
	if diff := diffResults(full, one); diff != "" {
		t.Fatal(diff)
	}
	// A bursty reader too.
	d = NewDecoder(iotest.HalfReader(strings.NewReader(in)), Limits{})
	var half result
	for {
		tok, err := d.Next()
		if err != nil {
			half.err = err
			break
		}
		half.toks = append(half.toks, tok)
	}
	if diff := diffResults(full, half); diff != "" {
		t.Fatal(diff)
	}
}

// TestDecoderTreesOutliveBuffer checks that a tree stays intact while the
// decoder reuses its read buffer for later stanzas.
func TestDecoderTreesOutliveBuffer(t *testing.T) {
	d := NewDecoder(newRepeatReader(benchMessage), DefaultLimits())
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	tok, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	first := tok.Elem
	want := first.DeepCopy()
	for range 2000 {
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if diff := diffTree(first, want); diff != "" {
		t.Fatal(diff)
	}
	// Appending to a decoded slice must not overwrite a neighbour.
	first.SetAttr("new", "x")
	first.Child(NSClient, "body").AddText("more")
	if first.Attr("id") != "ktx72v49" || first.Child("http://jabber.org/protocol/chatstates", "active") == nil {
		t.Fatalf("neighbour clobbered: %v", first)
	}
}

func TestDecoderReset(t *testing.T) {
	// Before STARTTLS: the client pipelines bytes after <starttls/>, which
	// Reset must drop.
	d := NewDecoder(strings.NewReader(hdrClient+`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message>injected</message>`), DefaultLimits())
	for range 2 {
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if d.Buffered() == 0 {
		t.Fatal("Buffered: want the pipelined bytes")
	}
	d.Reset(strings.NewReader(hdrComponent + `<handshake/>` + streamEnd))
	if d.Buffered() != 0 {
		t.Fatal("Buffered after Reset")
	}
	tok, err := d.Next()
	if err != nil || tok.Kind != KindStreamStart || tok.DefaultNS != NSComponent {
		t.Fatalf("new header: %v %q %v", tok.Kind, tok.DefaultNS, err)
	}
	tok, err = d.Next()
	if err != nil || !tok.Elem.Is(NSComponent, "handshake") {
		t.Fatalf("stanza after reset: %v %v", tok.Elem, err)
	}
	// The old stream's prefixes are gone after a reset.
	d.Reset(strings.NewReader(`<s:stream xmlns:s='http://etherx.jabber.org/streams'><stream:features/>`))
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); !errors.Is(err, &Error{Condition: BadNamespacePrefix}) {
		t.Fatalf("old prefix still bound: %v", err)
	}
	// Reset clears a sticky error.
	d.Reset(strings.NewReader(hdrClient + `<a/>`))
	for range 2 {
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDecoderRelease(t *testing.T) {
	in := hdrClient + benchMessage + benchMessage
	r := &stepReader{steps: []step{{in, nil}, {`<presence/>`, nil}, {streamEnd, nil}}}
	d := NewDecoder(r, DefaultLimits())
	for range 2 {
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
	}
	// Part of the next message is buffered: Release keeps just that.
	d.Release()
	if d.Buffered() == 0 || len(d.buf) != d.Buffered() {
		t.Fatalf("after Release: %d buffered, buffer %d", d.Buffered(), len(d.buf))
	}
	tok, err := d.Next()
	if err != nil || !tok.Elem.Is(NSClient, "message") {
		t.Fatalf("buffered message: %v", err)
	}
	d.Release()
	if d.buf != nil {
		t.Fatalf("buffer kept: %d bytes", len(d.buf))
	}
	if tok, err = d.Next(); err != nil || !tok.Elem.Is(NSClient, "presence") {
		t.Fatalf("after Release: %v %v", tok.Elem, err)
	}
	if len(d.buf) > minBuf {
		t.Fatalf("buffer after Release: %d bytes", len(d.buf))
	}
	d.Release()
	if tok, err = d.Next(); err != nil || tok.Kind != KindStreamEnd {
		t.Fatalf("end: %v %v", tok.Kind, err)
	}
}

// TestDecoderReleaseMidStanza releases while a stanza is half read.
func TestDecoderReleaseMidStanza(t *testing.T) {
	timeout := os.ErrDeadlineExceeded
	r := &stepReader{steps: []step{{hdrClient + `<message><bo`, timeout}, {`dy>x</body></message>`, nil}}}
	d := NewDecoder(r, DefaultLimits())
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); !errors.Is(err, timeout) {
		t.Fatal(err)
	}
	d.Release()
	tok, err := d.Next()
	if err != nil || tok.Elem.ChildText(NSClient, "body") != "x" {
		t.Fatalf("got %v %v", tok.Elem, err)
	}
}

func TestDecoderBufferShrinks(t *testing.T) {
	// A burst grows the buffer; a run of small reads shrinks it again.
	burst := hdrClient + strings.Repeat(benchMessage, 400)
	steps := []step{{burst, nil}}
	for range 40 {
		steps = append(steps, step{`<presence/>`, nil})
	}
	d := NewDecoder(&stepReader{steps: steps}, DefaultLimits())
	peak := 0
	for range 1 + 400 + 40 {
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
		peak = max(peak, len(d.buf))
	}
	if peak < 8<<10 {
		t.Errorf("buffer never grew: peak %d", peak)
	}
	if len(d.buf) > 1024 {
		t.Errorf("buffer did not shrink: %d bytes", len(d.buf))
	}
}

func TestDecoderSetLimits(t *testing.T) {
	d := NewDecoder(strings.NewReader(hdrClient+`<a b='1' c='2'/><a b='1' c='2'/>`), Limits{})
	for range 2 {
		if _, err := d.Next(); err != nil {
			t.Fatal(err)
		}
	}
	d.SetLimits(Limits{MaxAttrs: 1})
	if _, err := d.Next(); !errors.Is(err, &Error{Condition: PolicyViolation}) {
		t.Fatalf("got %v", err)
	}
	if got := (Limits{}).normalize(); got != DefaultLimits() {
		t.Fatalf("zero limits: %+v", got)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindStreamStart: "stream-start", KindStanza: "stanza", KindStreamEnd: "stream-end", 0: "Kind(0)"} {
		if k.String() != want {
			t.Errorf("%d: %q", int(k), k.String())
		}
	}
}

func TestDecodeElement(t *testing.T) {
	tests := []struct {
		name string
		in   string
		def  string
		want *Element
		err  Condition
	}{
		{"websocket open", `<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>`, "",
			el(NSFraming, "open", "to", "example.com", "version", "1.0"), ""},
		{"default namespace", `<message><body>hi</body></message>`, NSClient,
			el(NSClient, "message").AddChild(el(NSClient, "body").AddText("hi")), ""},
		{"declared namespace wins", `<message xmlns='jabber:server'/>`, NSClient, el(NSServer, "message"), ""},
		{"no default", `<a/>`, "", el("", "a"), ""},
		{"surrounding white space", "\n <a/> \r\n", "", el("", "a"), ""},
		{"xml declaration", `<?xml version='1.0'?><a/>`, "", el("", "a"), ""},
		{"bosh body", `<body rid='1' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>`, "",
			&Element{Space: "http://jabber.org/protocol/httpbind", Local: "body", Attrs: []Attr{{Local: "rid", Value: "1"}, {Space: "urn:xmpp:xbosh", Local: "version", Value: "1.0"}}}, ""},
		{"empty", "", "", nil, NotWellFormed},
		{"only space", "  ", "", nil, NotWellFormed},
		{"two elements", `<a/><b/>`, "", nil, NotWellFormed},
		{"trailing text", `<a/>x`, "", nil, NotWellFormed},
		{"leading text", `x<a/>`, "", nil, NotWellFormed},
		{"truncated", `<a><b>`, "", nil, NotWellFormed},
		{"end tag", `</a>`, "", nil, NotWellFormed},
		{"comment", `<!-- x --><a/>`, "", nil, RestrictedXML},
		{"comment inside", `<a><!-- x --></a>`, "", nil, RestrictedXML},
		{"trailing comment", `<a/><!-- x -->`, "", nil, NotWellFormed},
		{"pi", `<?x?><a/>`, "", nil, RestrictedXML},
		{"undeclared prefix", `<p:a/>`, "", nil, BadNamespacePrefix},
		{"bad declaration", `<?xml version='1.0' encoding='latin1'?><a/>`, "", nil, UnsupportedEncoding},
		{"unfinished declaration", `<?xml version='1.0'`, "", nil, NotWellFormed},
		{"too large", `<a>` + strings.Repeat("x", 70000) + `</a>`, "", nil, PolicyViolation},
		{"too large, unfinished", `<a>` + strings.Repeat("x", 70000), "", nil, PolicyViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			got, err := DecodeElement(b, DefaultLimits(), tt.def)
			if tt.err != "" {
				if !errors.Is(err, &Error{Condition: tt.err}) {
					t.Fatalf("got %v, %v; want %s", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The tree must not share b.
			for i := range b {
				b[i] = 'X'
			}
			if d := diffTree(got, tt.want); d != "" {
				t.Fatal(d)
			}
		})
	}
}

// TestDecoderBufferBounded checks that a peer cannot make the read buffer
// grow past the stanza limit.
func TestDecoderBufferBounded(t *testing.T) {
	for _, limit := range []int{1000, 100 << 10} {
		lim := Limits{MaxStanzaBytes: limit}
		in := hdrClient + `<message><body>` + strings.Repeat("x", 4*limit)
		d := NewDecoder(&chunkReader{s: in, n: 7000}, lim)
		var err error
		for err == nil {
			_, err = d.Next()
		}
		if !errors.Is(err, &Error{Condition: PolicyViolation}) {
			t.Fatalf("limit %d: got %v", limit, err)
		}
		if len(d.buf) > max(maxReadBuf, lim.MaxStanzaBytes+1) {
			t.Fatalf("limit %d: buffer grew to %d", limit, len(d.buf))
		}
	}
}
