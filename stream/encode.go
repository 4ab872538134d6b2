package stream

import (
	"strconv"
	"unicode/utf8"
)

// replacement stands in for a character XML 1.0 cannot carry (a control
// character, invalid UTF-8), so that output is always well-formed.
const replacement = "\uFFFD"

// EscapeText appends s to dst escaped as character data: & < > become
// entity references and \r becomes &#xD; so that it survives line-end
// normalization. Characters XML cannot carry become U+FFFD.
func EscapeText(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if escText[c] {
			i++
			continue
		}
		var esc string
		size := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\r':
			esc = "&#xD;"
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size > 1) && r != 0xFFFE && r != 0xFFFF {
				i += size
				continue
			}
			esc = replacement
		default:
			esc = replacement
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		i += size
		last = i
	}
	return append(dst, s[last:]...)
}

// EscapeAttr appends s to dst escaped for an attribute value in single or
// double quotes: & < > ' " become entity references and \t \n \r become
// character references, which attribute-value normalization leaves alone.
// Characters XML cannot carry become U+FFFD.
func EscapeAttr(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if escAttr[c] {
			i++
			continue
		}
		var esc string
		size := 1
		switch {
		case c == '&':
			esc = "&amp;"
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '\'':
			esc = "&apos;"
		case c == '"':
			esc = "&quot;"
		case c == '\t':
			esc = "&#x9;"
		case c == '\n':
			esc = "&#xA;"
		case c == '\r':
			esc = "&#xD;"
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size > 1) && r != 0xFFFE && r != 0xFFFF {
				i += size
				continue
			}
			esc = replacement
		default:
			esc = replacement
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		i += size
		last = i
	}
	return append(dst, s[last:]...)
}

// AppendXML appends e and its subtree to dst. parentNS is the default
// namespace in scope where e is written (the stream's content namespace
// for a stanza, "" for a standalone document): e carries an xmlns
// declaration only if its namespace differs, and so does each child
// relative to its parent. Attributes in NSXML are written with the xml
// prefix; attributes in any other namespace get a generated prefix (ns0,
// ns1, ...) declared on the element. Attribute values are written in
// single quotes. Text and values are escaped; names are written as they
// are and must be valid XML names (trees from the Decoder always are). An
// unprefixed attribute named xmlns is not written: an element's namespace
// is its Space. AppendXML allocates only to grow dst.
func (e *Element) AppendXML(dst []byte, parentNS string) []byte {
	dst = append(dst, '<')
	inner := e.Space
	if e.Space == NSXML {
		// The xml namespace cannot be the default one: use its prefix.
		dst = append(dst, "xml:"...)
		inner = parentNS
	}
	dst = append(dst, e.Local...)
	if inner != parentNS {
		dst = append(dst, " xmlns='"...)
		dst = EscapeAttr(dst, e.Space)
		dst = append(dst, '\'')
	}
	if len(e.Attrs) > 0 {
		dst = e.appendAttrs(dst)
	}
	if len(e.Children) == 0 {
		return append(dst, "/>"...)
	}
	dst = append(dst, '>')
	for _, n := range e.Children {
		if n.Elem != nil {
			dst = n.Elem.AppendXML(dst, inner)
		} else {
			dst = EscapeText(dst, n.Text)
		}
	}
	dst = append(dst, "</"...)
	if e.Space == NSXML {
		dst = append(dst, "xml:"...)
	}
	dst = append(dst, e.Local...)
	return append(dst, '>')
}

// appendAttrs writes e's attributes. An attribute in a foreign namespace
// is written with the prefix nsJ, where J is the index of the first
// attribute in that namespace, declared on e.
func (e *Element) appendAttrs(dst []byte) []byte {
	for i, a := range e.Attrs {
		if !foreignAttrNS(a.Space) || firstAttrNS(e.Attrs, a.Space) != i {
			continue
		}
		dst = append(dst, " xmlns:ns"...)
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, "='"...)
		dst = EscapeAttr(dst, a.Space)
		dst = append(dst, '\'')
	}
	for _, a := range e.Attrs {
		switch {
		case a.Space == "":
			if a.Local == "xmlns" {
				continue
			}
			dst = append(dst, ' ')
		case a.Space == NSXML:
			dst = append(dst, " xml:"...)
		case a.Space == nsXMLNS:
			continue
		default:
			dst = append(dst, " ns"...)
			dst = strconv.AppendInt(dst, int64(firstAttrNS(e.Attrs, a.Space)), 10)
			dst = append(dst, ':')
		}
		dst = append(dst, a.Local...)
		dst = append(dst, "='"...)
		dst = EscapeAttr(dst, a.Value)
		dst = append(dst, '\'')
	}
	return dst
}

// foreignAttrNS reports whether an attribute in namespace space needs a
// generated prefix.
func foreignAttrNS(space string) bool {
	return space != "" && space != NSXML && space != nsXMLNS
}

// firstAttrNS returns the index of the first attribute in namespace space.
func firstAttrNS(attrs []Attr, space string) int {
	for i, a := range attrs {
		if a.Space == space {
			return i
		}
	}
	return -1
}

// String returns e serialized with no namespace in scope, for logs and
// tests.
func (e *Element) String() string {
	if e == nil {
		return "<nil>"
	}
	return string(e.AppendXML(nil, ""))
}

// StreamHeader holds the fields of a stream header (RFC 6120 §4.7). Empty
// fields are left out.
type StreamHeader struct {
	NS      string // content namespace: NSClient, NSServer, NSComponent
	ID      string
	From    string
	To      string
	Version string // "1.0"
	Lang    string // written as xml:lang
}

// AppendStreamHeader appends the XML declaration and the opening
// <stream:stream> tag for h, with the stream prefix bound to NSStream.
func AppendStreamHeader(dst []byte, h StreamHeader) []byte {
	dst = append(dst, "<?xml version='1.0'?><stream:stream"...)
	if h.NS != "" {
		dst = append(dst, " xmlns='"...)
		dst = EscapeAttr(dst, h.NS)
		dst = append(dst, '\'')
	}
	dst = append(dst, " xmlns:stream='"+NSStream+"'"...)
	dst = appendAttr(dst, "id", h.ID)
	dst = appendAttr(dst, "from", h.From)
	dst = appendAttr(dst, "to", h.To)
	dst = appendAttr(dst, "version", h.Version)
	dst = appendAttr(dst, "xml:lang", h.Lang)
	return append(dst, '>')
}

// appendAttr appends name='value', or nothing for an empty value.
func appendAttr(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, "='"...)
	dst = EscapeAttr(dst, value)
	return append(dst, '\'')
}
