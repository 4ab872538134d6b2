package stream

import (
	"errors"
	"unicode/utf8"
)

// nsXMLNS is the namespace of xmlns declarations; nothing may be bound to it.
const nsXMLNS = "http://www.w3.org/2000/xmlns/"

func errNotWellFormed(text string) error { return &Error{Condition: NotWellFormed, Text: text} }
func errRestricted(text string) error    { return &Error{Condition: RestrictedXML, Text: text} }
func errPolicy(text string) error        { return &Error{Condition: PolicyViolation, Text: text} }
func errPrefix(text string) error        { return &Error{Condition: BadNamespacePrefix, Text: text} }

// errIncomplete reports that the input ended inside the element. It is not
// a stream error: the decoder waits for more bytes.
var errIncomplete = errors.New("stream: element incomplete")

// Indices of the namespace table entries every parse starts with.
const (
	nsNone = 0 // no namespace: unprefixed attributes, xmlns=''
	nsXML  = 1 // the xml prefix
)

// The parser works in two steps. parse reads a complete element from its
// input without writing to it and records the tree in scratch tables of
// offsets (no pointers, so no write barriers and nothing to clear). build
// then takes a private copy of the element's bytes, unescapes in place the
// few spans that need it, and makes the tree in one allocation, its
// strings pointing into the copy. Because parse never writes, the decoder
// can run it directly on its read buffer and retry later if the element
// turns out to be incomplete.

// span is a byte range of the element, relative to its first byte.
type span struct{ off, n int32 }

// xelem is one element in the scratch tables.
type xelem struct {
	ns    int32 // index in parser.ns
	local span
	attrS int32 // its attributes are xattrs[attrS:attrS+attrN]
	attrN int32
	kidS  int32 // its children are xkids[kidS:kidS+kidN]
	kidN  int32
}

// xattr is an attribute. While its start tag is parsed, local holds the
// whole qualified name and colon the offset of its ':' (or -1).
type xattr struct {
	ns    int32
	local span
	val   span
	colon int32
	esc   bool // val needs unescaping
	decl  bool // a namespace declaration, dropped once processed
}

// xkid is a child: an element (elem >= 0) or a text span.
type xkid struct {
	elem int32
	esc  bool // text needs unescaping (entities, \r, CDATA sections)
	text span
}

// xframe is an element whose end tag has not been seen.
type xframe struct {
	elem   int32
	name   span  // its qualified name, for the end tag
	binds  int32 // len(binds) before its declarations
	defNS  int32 // default namespace inside it
	stackS int32 // its children so far are stack[stackS:]
}

// nsEntry is a namespace URI. A local entry was declared in the element
// being parsed: uri points into the input until build rebases it.
type nsEntry struct {
	uri   string
	val   span
	local bool
}

// binding maps a prefix to a namespace entry.
type binding struct {
	prefix string
	pfx    span // the prefix in the input, for a local binding
	ns     int32
}

type parser struct {
	lim Limits
	in  []byte

	xe     []xelem
	xa     []xattr
	xk     []xkid
	stack  []xkid
	frames []xframe
	esc    bool // some span needs unescaping

	ns    []nsEntry
	binds []binding
	// nbase and bbase are the lengths of ns and binds that stay from one
	// element to the next (the stream header's); defNS is the default
	// namespace entry for top-level elements.
	nbase, bbase int
	defNS        int32

	// After a header parse: whether the tag was <x/>, and the default
	// namespace inside it.
	hdrSelf  bool
	hdrDefNS int32
}

// resetScope empties the namespace scope and makes defaultNS the default.
func (p *parser) resetScope(defaultNS string) {
	clear(p.ns)
	clear(p.binds)
	p.ns = append(p.ns[:0], nsEntry{}, nsEntry{uri: NSXML})
	p.binds = p.binds[:0]
	p.defNS = nsNone
	if defaultNS != "" {
		p.defNS = int32(len(p.ns))
		p.ns = append(p.ns, nsEntry{uri: defaultNS})
	}
	p.nbase, p.bbase = len(p.ns), 0
}

// done drops what the last parse left in the scope, keeping the base.
func (p *parser) done() {
	clear(p.ns[p.nbase:])
	p.ns = p.ns[:p.nbase]
	clear(p.binds[p.bbase:])
	p.binds = p.binds[:p.bbase]
	p.in = nil
}

// tmp returns in[s] as a string valid while the input is.
func (p *parser) tmp(s span) string {
	if s.n == 0 {
		return ""
	}
	return unsafeString(&p.in[s.off], int(s.n))
}

// parse reads the element that starts with '<' at in[0] and returns its
// length. With header set it stops after the first start tag. It returns
// errIncomplete if in ends first.
func (p *parser) parse(in []byte, header bool) (int, error) {
	p.in = in
	p.xe, p.xa, p.xk = p.xe[:0], p.xa[:0], p.xk[:0]
	p.stack, p.frames = p.stack[:0], p.frames[:0]
	p.esc = false
	p.ns = p.ns[:p.nbase]
	p.binds = p.binds[:p.bbase]

	n := len(in)
	i := 0
	text := -1 // start of the pending text node
	textEsc := false
	textHas := false // the pending text is not just empty CDATA sections
	for {
		if i >= n {
			return 0, errIncomplete
		}
		if in[i] != '<' {
			if len(p.frames) == 0 {
				return 0, errNotWellFormed("character data outside an element")
			}
			if text < 0 {
				text, textEsc = i, false
			}
			textHas = true
			var esc bool
			var err error
			if i, esc, err = p.text(i); err != nil {
				return 0, err
			}
			textEsc = textEsc || esc
			continue
		}
		if i+1 >= n {
			return 0, errIncomplete
		}
		switch in[i+1] {
		case '/':
			if len(p.frames) == 0 {
				return 0, errNotWellFormed("unexpected end tag")
			}
			if text >= 0 {
				p.flushText(text, i, textEsc, textHas)
				text = -1
			}
			f := &p.frames[len(p.frames)-1]
			var err error
			if i, err = p.endTag(i+2, f.name); err != nil {
				return 0, err
			}
			e := &p.xe[f.elem]
			if kids := p.stack[f.stackS:]; len(kids) > 0 {
				e.kidS, e.kidN = int32(len(p.xk)), int32(len(kids))
				p.xk = append(p.xk, kids...)
				p.stack = p.stack[:f.stackS]
			}
			p.binds = p.binds[:f.binds]
			p.frames = p.frames[:len(p.frames)-1]
			if len(p.frames) == 0 {
				return p.rootEnd(i)
			}
		case '!':
			m := min(n-i, len(cdataOpen))
			if string(in[i:i+m]) != cdataOpen[:m] {
				return 0, markupDeclError(in[i:min(n, i+3)])
			}
			if m < len(cdataOpen) {
				return 0, errIncomplete
			}
			if len(p.frames) == 0 {
				return 0, errNotWellFormed("character data outside an element")
			}
			if text < 0 {
				text, textHas = i, false
			}
			textEsc = true
			start := i + len(cdataOpen)
			var err error
			if i, err = p.cdata(start); err != nil {
				return 0, err
			}
			textHas = textHas || i-3 > start
		case '?':
			return 0, errRestricted("processing instruction")
		default:
			if text >= 0 {
				p.flushText(text, i, textEsc, textHas)
				text = -1
			}
			if len(p.frames) >= p.lim.MaxDepth {
				return 0, errPolicy("elements nested too deep")
			}
			parentNS, parent := p.defNS, int32(-1)
			if len(p.frames) > 0 {
				f := &p.frames[len(p.frames)-1]
				parentNS, parent = f.defNS, f.elem
			}
			nbinds := len(p.binds)
			ei := int32(len(p.xe))
			start := i
			var self bool
			var defNS int32
			var err error
			if i, self, defNS, err = p.startTag(i+1, parentNS); err != nil {
				return 0, err
			}
			if parent >= 0 {
				p.stack = append(p.stack, xkid{elem: ei})
			}
			if header {
				p.hdrSelf, p.hdrDefNS = self, defNS
				return i, nil
			}
			if self {
				p.binds = p.binds[:nbinds]
				if parent < 0 {
					return p.rootEnd(i)
				}
				continue
			}
			p.frames = append(p.frames, xframe{
				elem: ei, name: p.xe[ei].qname(start), binds: int32(nbinds),
				defNS: defNS, stackS: int32(len(p.stack)),
			})
		}
	}
}

// flushText adds the text node in[start:end] to the open element's
// children, unless it is only empty CDATA sections.
func (p *parser) flushText(start, end int, esc, has bool) {
	if !has {
		return
	}
	p.stack = append(p.stack, xkid{elem: -1, esc: esc, text: span{int32(start), int32(end - start)}})
	p.esc = p.esc || esc
}

// qname returns the span of the qualified name of a start tag at start.
func (e *xelem) qname(start int) span {
	return span{int32(start + 1), e.local.off + e.local.n - int32(start+1)}
}

// rootEnd checks the size of the element that ends at end.
func (p *parser) rootEnd(end int) (int, error) {
	if end > p.lim.MaxStanzaBytes {
		return 0, errPolicy("stanza too large")
	}
	return end, nil
}

// lookup resolves the prefix in[s] among the bindings in scope.
func (p *parser) lookup(s span) (int32, bool) {
	prefix := p.in[s.off : s.off+s.n]
	for i := len(p.binds) - 1; i >= 0; i-- {
		if p.binds[i].prefix == string(prefix) {
			return p.binds[i].ns, true
		}
	}
	if string(prefix) == "xml" {
		return nsXML, true
	}
	return 0, false
}

// startTag parses a start tag from its name at in[i] and appends the
// element and its attributes to the tables. It pushes the tag's namespace
// declarations onto binds and returns the offset after the tag, whether
// it was an empty-element tag and the default namespace inside it.
func (p *parser) startTag(i int, parentNS int32) (next int, self bool, defNS int32, err error) {
	in := p.in
	n := len(in)
	nameS := i
	colon, i, err := p.qname(i)
	if err != nil {
		return 0, false, 0, err
	}
	name := span{int32(nameS), int32(i - nameS)}

	// The attributes go straight into the table, names unresolved.
	first := len(p.xa)
	decls := 0
	for {
		ws := i
		for i < n && isSpace(in[i]) {
			i++
		}
		if i >= n {
			return 0, false, 0, errIncomplete
		}
		if c := in[i]; c == '>' {
			i++
			break
		} else if c == '/' {
			if i+1 >= n {
				return 0, false, 0, errIncomplete
			}
			if in[i+1] != '>' {
				return 0, false, 0, errNotWellFormed("bad empty-element tag")
			}
			i += 2
			self = true
			break
		}
		if i == ws {
			return 0, false, 0, errNotWellFormed("no space before an attribute")
		}
		if len(p.xa)-first >= p.lim.MaxAttrs {
			return 0, false, 0, errPolicy("too many attributes")
		}
		s := i
		var c int
		if c, i, err = p.qname(i); err != nil {
			return 0, false, 0, err
		}
		a := xattr{local: span{int32(s), int32(i - s)}, colon: int32(c)}
		for i < n && isSpace(in[i]) {
			i++
		}
		if i >= n {
			return 0, false, 0, errIncomplete
		}
		if in[i] != '=' {
			return 0, false, 0, errNotWellFormed("attribute without a value")
		}
		i++
		for i < n && isSpace(in[i]) {
			i++
		}
		if i >= n {
			return 0, false, 0, errIncomplete
		}
		if in[i] != '\'' && in[i] != '"' {
			return 0, false, 0, errNotWellFormed("attribute value not quoted")
		}
		q := i
		var end int
		if i, end, a.esc, err = p.attrValue(i); err != nil {
			return 0, false, 0, err
		}
		a.val = span{int32(q + 1), int32(end - q - 1)}
		if a.local.n >= 5 && string(in[s:s+5]) == "xmlns" && (a.local.n == 5 || c == s+5) {
			a.decl = true
			decls++
		}
		p.xa = append(p.xa, a)
	}

	// Namespace declarations first: they apply to the tag's own names.
	defNS = parentNS
	if decls > 0 {
		if defNS, err = p.declare(first, parentNS); err != nil {
			return 0, false, 0, err
		}
	}

	// The element's own name.
	e := xelem{ns: defNS, local: name, attrS: int32(first)}
	if colon >= 0 {
		pfx := span{name.off, int32(colon) - name.off}
		if string(in[pfx.off:colon]) == "xmlns" {
			return 0, false, 0, errPrefix("element with the xmlns prefix")
		}
		ns, ok := p.lookup(pfx)
		if !ok {
			return 0, false, 0, errPrefix("undeclared prefix")
		}
		e.ns = ns
		e.local = span{int32(colon + 1), name.off + name.n - int32(colon+1)}
	}

	// The attributes proper: resolve, check for duplicates, and drop the
	// declarations.
	w := first
	for k := first; k < len(p.xa); k++ {
		x := p.xa[k]
		if x.decl {
			continue
		}
		if x.colon >= 0 {
			ns, ok := p.lookup(span{x.local.off, x.colon - x.local.off})
			if !ok {
				return 0, false, 0, errPrefix("undeclared prefix")
			}
			x.ns = ns
			x.local = span{x.colon + 1, x.local.off + x.local.n - x.colon - 1}
		}
		local := in[x.local.off : x.local.off+x.local.n]
		for _, b := range p.xa[first:w] {
			if b.local.n == x.local.n && string(in[b.local.off:b.local.off+b.local.n]) == string(local) &&
				(b.ns == x.ns || p.ns[b.ns].uri == p.ns[x.ns].uri) {
				return 0, false, 0, errNotWellFormed("duplicate attribute")
			}
		}
		p.esc = p.esc || x.esc
		p.xa[w] = x
		w++
	}
	p.xa = p.xa[:w]
	e.attrN = int32(w - first)
	p.xe = append(p.xe, e)
	return i, self, defNS, nil
}

// declare processes the namespace declarations among the attributes
// xa[first:] and returns the default namespace inside the element.
func (p *parser) declare(first int, defNS int32) (int32, error) {
	in := p.in
	attrs := p.xa[first:]
	for k := range attrs {
		a := &attrs[k]
		if !a.decl {
			continue
		}
		qname := in[a.local.off : a.local.off+a.local.n]
		for _, b := range attrs[:k] {
			if b.decl && string(in[b.local.off:b.local.off+b.local.n]) == string(qname) {
				return 0, errNotWellFormed("duplicate attribute")
			}
		}
		uri := p.uri(a)
		if a.colon < 0 {
			if uri.uri == NSXML || uri.uri == nsXMLNS {
				return 0, errPrefix("reserved namespace as default")
			}
			defNS = int32(len(p.ns))
			p.ns = append(p.ns, uri)
			continue
		}
		pfx := span{a.colon + 1, a.local.off + a.local.n - a.colon - 1}
		prefix := p.tmp(pfx)
		switch {
		case prefix == "xml":
			if uri.uri != NSXML {
				return 0, errPrefix("xml prefix rebound")
			}
		case prefix == "xmlns" || uri.uri == NSXML || uri.uri == nsXMLNS:
			return 0, errPrefix("reserved prefix or namespace")
		case uri.uri == "":
			return 0, errPrefix("prefix bound to no namespace")
		}
		p.binds = append(p.binds, binding{prefix: prefix, pfx: pfx, ns: int32(len(p.ns))})
		p.ns = append(p.ns, uri)
	}
	return defNS, nil
}

// uri returns the namespace entry for the value of declaration a.
func (p *parser) uri(a *xattr) nsEntry {
	if !a.esc {
		return nsEntry{uri: p.tmp(a.val), val: a.val, local: true}
	}
	// Rare: an escaped URI gets its own string.
	b := append([]byte(nil), p.in[a.val.off:a.val.off+a.val.n]...)
	return nsEntry{uri: string(b[:unescapeAttr(b)])}
}

// qname scans a qualified name (NCName or NCName:NCName) at in[i]. It
// returns the offset of the colon (or -1) and the end of the name.
func (p *parser) qname(i int) (colon, end int, err error) {
	in := p.in
	n := len(in)
	start := i
	// Fast path: an ASCII name without a prefix.
	for i < n && nameByte[in[i]] {
		i++
	}
	if i < n && in[i] < utf8.RuneSelf && in[i] != ':' {
		if i == start || !nameStartByte[in[start]] {
			return 0, 0, errNotWellFormed("bad name")
		}
		return -1, i, nil
	}
	i = start
	colon = -1
	for i < n {
		c := in[i]
		if c < utf8.RuneSelf {
			if nameByte[c] {
				if (i == start || i == colon+1) && !nameStartByte[c] {
					return 0, 0, errNotWellFormed("bad name")
				}
				i++
				continue
			}
			if c == ':' {
				if colon >= 0 || i == start {
					return 0, 0, errNotWellFormed("bad qualified name")
				}
				colon = i
				i++
				continue
			}
			break
		}
		r, size := decodeChar(in[i:])
		if size == 0 {
			if !utf8.FullRune(in[i:]) {
				return 0, 0, errIncomplete
			}
			return 0, 0, errNotWellFormed("invalid UTF-8 or character")
		}
		if i == start || i == colon+1 {
			if !isNameStartRune(r) {
				return 0, 0, errNotWellFormed("bad name")
			}
		} else if !isNameRune(r) {
			return 0, 0, errNotWellFormed("bad name")
		}
		i += size
	}
	if i >= n {
		return 0, 0, errIncomplete
	}
	if i == start || i == colon+1 {
		return 0, 0, errNotWellFormed("bad name")
	}
	return colon, i, nil
}

// endTag parses an end tag from its name at in[i], which must repeat the
// start tag's name in[name]. It returns the offset after the tag.
func (p *parser) endTag(i int, name span) (int, error) {
	in := p.in
	n := len(in)
	want := in[name.off : name.off+name.n]
	m := min(n-i, len(want))
	if string(in[i:i+m]) != string(want[:m]) {
		return 0, errNotWellFormed("mismatched end tag")
	}
	if m < len(want) {
		return 0, errIncomplete
	}
	i += len(want)
	for i < n && isSpace(in[i]) {
		i++
	}
	if i >= n {
		return 0, errIncomplete
	}
	if in[i] != '>' {
		return 0, errNotWellFormed("mismatched end tag")
	}
	return i + 1, nil
}
