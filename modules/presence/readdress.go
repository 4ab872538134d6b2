package presence

import "github.com/meerkat-xmpp/meerkat/stream"

// addressed is an element and room for its attributes in one allocation.
type addressed struct {
	e stream.Element
	a [6]stream.Attr
}

// readdress returns a copy of el from from to to, in one allocation for
// the usual presence. The copy has its own attributes; its children are
// el's, shared read-only (capped, so an append on the copy reallocates).
func readdress(el *stream.Element, from, to string) *stream.Element {
	n := len(el.Attrs) + 2
	x := new(addressed)
	c := &x.e
	c.Space, c.Local = el.Space, el.Local
	if n <= len(x.a) {
		c.Attrs = x.a[:0:len(x.a)]
	} else {
		c.Attrs = make([]stream.Attr, 0, n)
	}
	for _, a := range el.Attrs {
		if a.Space == "" && (a.Local == "from" || a.Local == "to") {
			continue
		}
		c.Attrs = append(c.Attrs, a)
	}
	c.Attrs = append(c.Attrs, stream.Attr{Local: "from", Value: from}, stream.Attr{Local: "to", Value: to})
	c.Children = el.Children[:len(el.Children):len(el.Children)]
	return c
}
