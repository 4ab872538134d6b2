// Package framing turns the byte stream a c2s session writes (RFC 6120: an
// XML declaration, a <stream:stream> open tag, top-level elements, and
// </stream:stream>) into the units that message-framed transports send one
// by one: WebSocket (RFC 7395: one element per message, <open/> and
// <close/> instead of the stream tags) and BOSH (XEP-0124/0206: elements
// inside <body/> wrappers, the stream tags replaced by body attributes).
//
// It scans only what Meerkat's own serializer produced (no comments, no
// CDATA, no processing instructions besides the XML declaration, '<'
// always escaped in text and attribute values), so a small depth counter
// finds element boundaries without a full parser. Because a top-level
// element no longer sits inside <stream:stream>, each one is made to carry
// its namespace: xmlns='jabber:client' is added to unqualified elements and
// the stream prefix is declared on <stream:features/> and <stream:error/>.
package framing

import (
	"bytes"
	"strings"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// Kind is what one Unit is.
type Kind uint8

const (
	// Header is the session's stream open tag; ID and From are set.
	Header Kind = iota + 1
	// Element is one complete top-level element, namespace-qualified.
	Element
	// Close is the session's </stream:stream>.
	Close
)

// Unit is one piece of session output.
type Unit struct {
	Kind Kind
	// Data is the element's bytes (Element only). It aliases the Splitter's
	// buffer and is valid until the next call to Write.
	Data []byte
	// ID and From are the stream header's attributes (Header only).
	ID, From string
}

// Splitter cuts session output into units. Bytes of an element that a write
// left incomplete are kept until the rest arrives. The zero value is ready.
type Splitter struct {
	carry []byte
	elem  []byte
}

// Write feeds b and calls fn for each complete unit, in order. fn must not
// keep Data. It stops at the first error fn returns.
func (s *Splitter) Write(b []byte, fn func(Unit) error) error {
	in := b
	if len(s.carry) > 0 {
		s.carry = append(s.carry, b...)
		in = s.carry
	}
	i := 0
	for i < len(in) {
		c := in[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			i++
			continue
		}
		if c != '<' {
			// Character data between top-level elements: never written by
			// a session; skip up to the next tag.
			i++
			continue
		}
		n, u, ok := s.unit(in[i:])
		if !ok {
			break
		}
		i += n
		if u.Kind != 0 {
			if err := fn(u); err != nil {
				s.keep(in[i:])
				return err
			}
		}
	}
	s.keep(in[i:])
	return nil
}

// Pending reports whether bytes of an incomplete unit are held.
func (s *Splitter) Pending() bool { return len(s.carry) > 0 }

// Release drops the Splitter's buffers unless they hold an incomplete
// unit: an idle connection should not keep the size of its largest
// stanza. The next Write allocates again.
func (s *Splitter) Release() {
	if len(s.carry) == 0 {
		s.carry = nil
	}
	s.elem = nil
}

func (s *Splitter) keep(rest []byte) {
	if len(rest) == 0 {
		s.carry = s.carry[:0]
		return
	}
	if len(s.carry) > 0 && &rest[0] == &s.carry[len(s.carry)-len(rest)] {
		n := copy(s.carry, rest)
		s.carry = s.carry[:n]
		return
	}
	s.carry = append(s.carry[:0], rest...)
}

const streamOpen = "<stream:stream"
const streamClose = "</stream:stream>"

// unit reads one unit at the start of in (in[0] == '<'). It returns the
// bytes consumed and false when in holds only part of the unit. A consumed
// prolog yields a zero Unit.
func (s *Splitter) unit(in []byte) (int, Unit, bool) {
	switch {
	case bytes.HasPrefix(in, []byte("<?")):
		end := bytes.Index(in, []byte("?>"))
		if end < 0 {
			return 0, Unit{}, false
		}
		return end + 2, Unit{}, true
	case bytes.HasPrefix(in, []byte(streamClose)):
		return len(streamClose), Unit{Kind: Close}, true
	case len(in) < len(streamClose) && bytes.HasPrefix([]byte(streamClose), in):
		return 0, Unit{}, false
	case bytes.HasPrefix(in, []byte(streamOpen)) && len(in) > len(streamOpen) && isSpaceOrEnd(in[len(streamOpen)]):
		end, _, ok := tagEnd(in)
		if !ok {
			return 0, Unit{}, false
		}
		tag := in[:end]
		return end, Unit{Kind: Header, ID: attr(tag, "id"), From: attr(tag, "from")}, true
	}
	n, ok := elementEnd(in)
	if !ok {
		return 0, Unit{}, false
	}
	s.elem = qualify(s.elem[:0], in[:n])
	return n, Unit{Kind: Element, Data: s.elem}, true
}

func isSpaceOrEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/'
}

// tagEnd finds the end of the tag starting at in[0]: the index after '>'
// and whether the tag closed itself.
func tagEnd(in []byte) (int, bool, bool) {
	var quote byte
	for i := 1; i < len(in); i++ {
		c := in[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '>':
			return i + 1, in[i-1] == '/', true
		}
	}
	return 0, false, false
}

// elementEnd returns the length of the element starting at in[0].
func elementEnd(in []byte) (int, bool) {
	depth := 0
	i := 0
	for i < len(in) {
		if in[i] != '<' {
			j := bytes.IndexByte(in[i:], '<')
			if j < 0 {
				return 0, false
			}
			i += j
			continue
		}
		end, selfClosed, ok := tagEnd(in[i:])
		if !ok {
			return 0, false
		}
		switch {
		case i+1 < len(in) && in[i+1] == '/':
			depth--
		case selfClosed:
		default:
			depth++
		}
		i += end
		if depth <= 0 {
			return i, true
		}
	}
	return 0, false
}

// qualify appends el with the namespace declarations a top-level element
// needs outside the stream.
func qualify(dst, el []byte) []byte {
	nameEnd := 1
	for nameEnd < len(el) && !isSpaceOrEnd(el[nameEnd]) {
		nameEnd++
	}
	end, _, _ := tagEnd(el)
	tag := el[:end]
	name := el[1:nameEnd]
	dst = append(dst, el[:nameEnd]...)
	if bytes.HasPrefix(name, []byte("stream:")) {
		if !hasAttr(tag, "xmlns:stream") {
			dst = append(dst, " xmlns:stream='"+stream.NSStream+"'"...)
		}
	} else if bytes.IndexByte(name, ':') < 0 && !hasAttr(tag, "xmlns") {
		dst = append(dst, " xmlns='"+stream.NSClient+"'"...)
	}
	return append(dst, el[nameEnd:]...)
}

// attrs calls fn for each name='value' of a start tag, value raw.
func attrs(tag []byte, fn func(name, value []byte) bool) {
	i := 1
	for i < len(tag) && !isSpaceOrEnd(tag[i]) {
		i++
	}
	for i < len(tag) {
		for i < len(tag) && (tag[i] == ' ' || tag[i] == '\t' || tag[i] == '\r' || tag[i] == '\n') {
			i++
		}
		start := i
		for i < len(tag) && tag[i] != '=' && tag[i] != '>' && tag[i] != '/' {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			return
		}
		name := bytes.TrimSpace(tag[start:i])
		i++
		for i < len(tag) && tag[i] != '\'' && tag[i] != '"' {
			i++
		}
		if i >= len(tag) {
			return
		}
		q := tag[i]
		i++
		vs := i
		for i < len(tag) && tag[i] != q {
			i++
		}
		if i >= len(tag) {
			return
		}
		if !fn(name, tag[vs:i]) {
			return
		}
		i++
	}
}

func hasAttr(tag []byte, name string) bool {
	found := false
	attrs(tag, func(n, _ []byte) bool {
		found = string(n) == name
		return !found
	})
	return found
}

func attr(tag []byte, name string) string {
	v := ""
	attrs(tag, func(n, val []byte) bool {
		if string(n) == name {
			v = unescape(val)
			return false
		}
		return true
	})
	return v
}

// attrUnescaper undoes the escaping of stream.EscapeAttr.
var attrUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", "\"", "&apos;", "'", "&amp;", "&")

func unescape(v []byte) string {
	if bytes.IndexByte(v, '&') < 0 {
		return string(v)
	}
	return attrUnescaper.Replace(string(v))
}
