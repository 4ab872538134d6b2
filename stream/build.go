package stream

import (
	"sync"
	"unsafe"
)

// unsafeString returns the n bytes at p as a string without copying. The
// bytes must never change while the string is in use: they belong to a
// stanza's private copy, written only before the strings are made.
func unsafeString(p *byte, n int) string { return unsafe.String(p, n) }

// Slab shapes: a small tree takes its elements, attributes and children
// from one allocation. The shapes cover the common stanzas (an IQ with its
// query, a chat message with a chat state, a presence with caps) and the
// first three stay within 512 bytes, where allocation is cheapest; larger
// trees take one allocation per kind.
type (
	slab1 struct {
		e [1]Element
		a [4]Attr
		k [1]Node
	}
	slab2 struct {
		e [2]Element
		a [4]Attr
		k [2]Node
	}
	slab3 struct {
		e [3]Element
		a [4]Attr
		k [3]Node
	}
	slab6 struct {
		e [6]Element
		a [8]Attr
		k [10]Node
	}
	slab12 struct {
		e [12]Element
		a [16]Attr
		k [20]Node
	}
)

// allocTree returns storage for ne elements, na attributes and nk children.
func allocTree(ne, na, nk int) ([]Element, []Attr, []Node) {
	switch {
	case ne <= 1 && na <= 4 && nk <= 1:
		s := new(slab1)
		return s.e[:ne], s.a[:na], s.k[:nk]
	case ne <= 2 && na <= 4 && nk <= 2:
		s := new(slab2)
		return s.e[:ne], s.a[:na], s.k[:nk]
	case ne <= 3 && na <= 4 && nk <= 3:
		s := new(slab3)
		return s.e[:ne], s.a[:na], s.k[:nk]
	case ne <= 6 && na <= 8 && nk <= 10:
		s := new(slab6)
		return s.e[:ne], s.a[:na], s.k[:nk]
	case ne <= 12 && na <= 16 && nk <= 20:
		s := new(slab12)
		return s.e[:ne], s.a[:na], s.k[:nk]
	}
	var as []Attr
	var ks []Node
	if na > 0 {
		as = make([]Attr, na)
	}
	if nk > 0 {
		ks = make([]Node, nk)
	}
	return make([]Element, ne), as, ks
}

// build makes the tree that the last parse read. raw is the caller's
// private copy of the element's bytes, which the tree's strings share.
func (p *parser) build(raw []byte) *Element {
	str := func(s span) string {
		if s.n == 0 {
			return ""
		}
		return unsafe.String(&raw[s.off], int(s.n))
	}
	if p.esc {
		for k := range p.xa {
			if x := &p.xa[k]; x.esc {
				x.val.n = int32(unescapeAttr(raw[x.val.off : x.val.off+x.val.n]))
			}
		}
		for k := range p.xk {
			if x := &p.xk[k]; x.esc {
				x.text.n = int32(unescapeText(raw[x.text.off : x.text.off+x.text.n]))
			}
		}
	}
	for k := p.nbase; k < len(p.ns); k++ {
		if x := &p.ns[k]; x.local {
			x.uri = str(x.val)
		}
	}
	es, as, ks := allocTree(len(p.xe), len(p.xa), len(p.xk))
	for k := range as {
		// Field by field: assigning a whole Attr would copy it through a
		// temporary with a bulk write barrier.
		x := &p.xa[k]
		a := &as[k]
		a.Space = p.ns[x.ns].uri
		a.Local = str(x.local)
		a.Value = str(x.val)
	}
	for k := range ks {
		if x := &p.xk[k]; x.elem >= 0 {
			ks[k].Elem = &es[x.elem]
		} else {
			ks[k].Text = str(x.text)
		}
	}
	for k := range es {
		x := &p.xe[k]
		e := &es[k]
		e.Space = p.ns[x.ns].uri
		e.Local = str(x.local)
		if x.attrN > 0 {
			e.Attrs = as[x.attrS : x.attrS+x.attrN : x.attrS+x.attrN]
		}
		if x.kidN > 0 {
			e.Children = ks[x.kidS : x.kidS+x.kidN : x.kidS+x.kidN]
		}
	}
	return &es[0]
}

// keepScope makes the declarations of the header just built the base
// scope of the stream: they stay in force for every stanza. raw is the
// header's copy, which its strings share.
func (p *parser) keepScope(raw []byte) {
	for k := p.bbase; k < len(p.binds); k++ {
		b := &p.binds[k]
		if b.pfx.n > 0 {
			b.prefix = unsafe.String(&raw[b.pfx.off], int(b.pfx.n))
		}
	}
	for k := p.nbase; k < len(p.ns); k++ {
		p.ns[k].local = false // build made uri point into raw
	}
	p.nbase, p.bbase = len(p.ns), len(p.binds)
	p.defNS = p.hdrDefNS
}

// parserPool holds parsers for DecodeElement.
var parserPool = sync.Pool{New: func() any { return new(parser) }}

// DecodeElement parses b, which must hold exactly one element, optionally
// preceded by an XML declaration and surrounded by white space: a
// WebSocket frame (RFC 7395), a BOSH body (XEP-0124) or a test fixture.
// Namespaces declared in b apply; unprefixed element names outside any
// declaration get defaultNS. The tree shares nothing with b, which the
// caller may reuse. Errors are *Error values, as from Decoder.Next.
func DecodeElement(b []byte, lim Limits, defaultNS string) (*Element, error) {
	lim = lim.normalize()
	i := 0
	if len(b) > 5 && string(b[:5]) == "<?xml" && isSpace(b[5]) {
		end, err := xmlDecl(b)
		if err != nil {
			return nil, err
		}
		if end == 0 {
			return nil, errNotWellFormed("bad XML declaration")
		}
		i = end
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return nil, errNotWellFormed("no element")
	}
	if b[i] != '<' {
		return nil, errNotWellFormed("character data outside an element")
	}
	in := b[i:]
	if len(in) > lim.MaxStanzaBytes+1 {
		in = in[:lim.MaxStanzaBytes+1]
	}
	p := parserPool.Get().(*parser)
	defer parserPool.Put(p)
	p.lim = lim
	p.resetScope(defaultNS)
	defer p.done()
	size, err := p.parse(in, false)
	if err == errIncomplete {
		if len(in) > lim.MaxStanzaBytes {
			return nil, errPolicy("stanza too large")
		}
		return nil, errNotWellFormed("unexpected end of element")
	}
	if err != nil {
		return nil, err
	}
	for _, c := range b[i+size:] {
		if !isSpace(c) {
			return nil, errNotWellFormed("data after the element")
		}
	}
	raw := make([]byte, size)
	copy(raw, in)
	return p.build(raw), nil
}
