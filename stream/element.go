package stream

import "iter"

// Well-known namespaces of RFC 6120 and the extensions the core speaks.
const (
	NSClient    = "jabber:client"
	NSServer    = "jabber:server"
	NSComponent = "jabber:component:accept"
	NSStream    = "http://etherx.jabber.org/streams"
	NSXML       = "http://www.w3.org/XML/1998/namespace"
	NSTLS       = "urn:ietf:params:xml:ns:xmpp-tls"
	NSSASL      = "urn:ietf:params:xml:ns:xmpp-sasl"
	NSBind      = "urn:ietf:params:xml:ns:xmpp-bind"
	NSSession   = "urn:ietf:params:xml:ns:xmpp-session"
	NSStreamErr = "urn:ietf:params:xml:ns:xmpp-streams"
	NSStanzaErr = "urn:ietf:params:xml:ns:xmpp-stanzas"
	NSFraming   = "urn:ietf:params:xml:ns:xmpp-framing"
)

// Attr is one attribute. Space is the resolved namespace URI ("" for the
// usual unprefixed attributes, NSXML for xml:lang). Value is unescaped.
type Attr struct {
	Space, Local, Value string
}

// Node is one child of an element: an element, or character data when Elem
// is nil. Keeping both kinds in one ordered slice preserves mixed content
// (XHTML-IM bodies) exactly.
type Node struct {
	Elem *Element
	Text string // unescaped character data; meaningful only when Elem is nil
}

// Element is one XML element of a stanza tree, with its namespace resolved.
// Prefixes are not kept: the serializer declares namespaces where they change,
// so a tree read from a jabber:client stream re-serializes for any other.
//
// Trees built by the Decoder share one backing buffer per stanza; treat their
// strings as immutable. A tree is owned by one goroutine at a time.
type Element struct {
	Space    string // namespace URI
	Local    string
	Attrs    []Attr
	Children []Node
}

// NewElement returns an element with the given name and unprefixed attributes
// given as name, value pairs. An odd trailing name is ignored.
func NewElement(space, local string, kv ...string) *Element {
	e := &Element{Space: space, Local: local}
	if len(kv) >= 2 {
		e.Attrs = make([]Attr, 0, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Attrs = append(e.Attrs, Attr{Local: kv[i], Value: kv[i+1]})
		}
	}
	return e
}

// Is reports whether e has the given namespace and local name.
func (e *Element) Is(space, local string) bool {
	return e != nil && e.Local == local && e.Space == space
}

// Attr returns the value of the unprefixed attribute local, or "".
func (e *Element) Attr(local string) string {
	for i := range e.Attrs {
		if e.Attrs[i].Local == local && e.Attrs[i].Space == "" {
			return e.Attrs[i].Value
		}
	}
	return ""
}

// AttrNS returns the value of the attribute in namespace space, or "".
func (e *Element) AttrNS(space, local string) string {
	for i := range e.Attrs {
		if e.Attrs[i].Local == local && e.Attrs[i].Space == space {
			return e.Attrs[i].Value
		}
	}
	return ""
}

// HasAttr reports whether the unprefixed attribute local is present.
func (e *Element) HasAttr(local string) bool {
	for i := range e.Attrs {
		if e.Attrs[i].Local == local && e.Attrs[i].Space == "" {
			return true
		}
	}
	return false
}

// SetAttr sets the unprefixed attribute local, replacing an existing value.
func (e *Element) SetAttr(local, value string) *Element {
	for i := range e.Attrs {
		if e.Attrs[i].Local == local && e.Attrs[i].Space == "" {
			e.Attrs[i].Value = value
			return e
		}
	}
	e.Attrs = append(e.Attrs, Attr{Local: local, Value: value})
	return e
}

// RemoveAttr deletes the unprefixed attribute local if present.
func (e *Element) RemoveAttr(local string) {
	for i := range e.Attrs {
		if e.Attrs[i].Local == local && e.Attrs[i].Space == "" {
			e.Attrs = append(e.Attrs[:i:i], e.Attrs[i+1:]...)
			return
		}
	}
}

// AddChild appends c as the last child and returns e for chaining.
func (e *Element) AddChild(c *Element) *Element {
	e.Children = append(e.Children, Node{Elem: c})
	return e
}

// AddText appends character data and returns e for chaining.
func (e *Element) AddText(s string) *Element {
	if s != "" {
		e.Children = append(e.Children, Node{Text: s})
	}
	return e
}

// Child returns the first child element with the given name, or nil.
func (e *Element) Child(space, local string) *Element {
	if e == nil {
		return nil
	}
	for _, n := range e.Children {
		if n.Elem != nil && n.Elem.Local == local && n.Elem.Space == space {
			return n.Elem
		}
	}
	return nil
}

// FirstChild returns the first child element, or nil.
func (e *Element) FirstChild() *Element {
	if e == nil {
		return nil
	}
	for _, n := range e.Children {
		if n.Elem != nil {
			return n.Elem
		}
	}
	return nil
}

// Elements yields the child elements in order.
func (e *Element) Elements() iter.Seq[*Element] {
	return func(yield func(*Element) bool) {
		if e == nil {
			return
		}
		for _, n := range e.Children {
			if n.Elem != nil && !yield(n.Elem) {
				return
			}
		}
	}
}

// ChildCount returns the number of child elements.
func (e *Element) ChildCount() int {
	n := 0
	for _, c := range e.Children {
		if c.Elem != nil {
			n++
		}
	}
	return n
}

// Text returns the concatenated character data directly inside e.
func (e *Element) Text() string {
	if e == nil {
		return ""
	}
	var s string
	for i, n := range e.Children {
		if n.Elem != nil {
			continue
		}
		if s == "" {
			s = n.Text
			continue
		}
		// Rare: text split by child elements or CDATA; join once.
		b := []byte(s)
		for _, m := range e.Children[i:] {
			if m.Elem == nil {
				b = append(b, m.Text...)
			}
		}
		return string(b)
	}
	return s
}

// ChildText returns the text of the first child with the given name.
func (e *Element) ChildText(space, local string) string {
	return e.Child(space, local).Text()
}

// ShallowCopy returns a copy of e whose attribute and child slices can be
// changed without touching e. Children themselves are shared.
func (e *Element) ShallowCopy() *Element {
	c := *e
	c.Attrs = append([]Attr(nil), e.Attrs...)
	c.Children = append([]Node(nil), e.Children...)
	return &c
}

// DeepCopy returns an independent copy of the whole tree.
func (e *Element) DeepCopy() *Element {
	c := &Element{Space: e.Space, Local: e.Local, Attrs: append([]Attr(nil), e.Attrs...)}
	if len(e.Children) > 0 {
		c.Children = make([]Node, len(e.Children))
		for i, n := range e.Children {
			if n.Elem != nil {
				c.Children[i].Elem = n.Elem.DeepCopy()
			} else {
				c.Children[i].Text = n.Text
			}
		}
	}
	return c
}
