package stream

import "unicode/utf8"

// text checks character data from in[i] up to the next '<' and reports
// whether it needs unescaping.
func (p *parser) text(i int) (int, bool, error) {
	in := p.in
	n := len(in)
	esc := false
	for {
		for i < n && textPlain[in[i]] {
			i++
		}
		if i >= n {
			return 0, false, errIncomplete
		}
		switch c := in[i]; {
		case c == '<':
			return i, esc, nil
		case c == '&':
			_, next, err := p.entity(i)
			if err != nil {
				return 0, false, err
			}
			esc = true
			i = next
		case c == '\r':
			esc = true
			i++
		case c == ']':
			if n-i < 3 {
				return 0, false, errIncomplete
			}
			if in[i+1] == ']' && in[i+2] == '>' {
				return 0, false, errNotWellFormed("']]>' in character data")
			}
			i++
		case c >= utf8.RuneSelf:
			size, err := p.char(i)
			if err != nil {
				return 0, false, err
			}
			i += size
		default:
			return 0, false, errNotWellFormed("control character")
		}
	}
}

// char checks the non-ASCII character at in[i] and returns its length.
func (p *parser) char(i int) (int, error) {
	_, size := decodeChar(p.in[i:])
	if size == 0 {
		if !utf8.FullRune(p.in[i:]) {
			return 0, errIncomplete
		}
		return 0, errNotWellFormed("invalid UTF-8 or character")
	}
	return size, nil
}

// cdata checks a CDATA section's content from in[i] and returns the offset
// after its "]]>".
func (p *parser) cdata(i int) (int, error) {
	in := p.in
	n := len(in)
	for i < n {
		c := in[i]
		switch {
		case c == ']':
			if n-i < 3 {
				return 0, errIncomplete
			}
			if in[i+1] == ']' && in[i+2] == '>' {
				return i + 3, nil
			}
			i++
		case c >= 0x20 && c < utf8.RuneSelf, c == '\t', c == '\n', c == '\r':
			i++
		case c >= utf8.RuneSelf:
			size, err := p.char(i)
			if err != nil {
				return 0, err
			}
			i += size
		default:
			return 0, errNotWellFormed("control character")
		}
	}
	return 0, errIncomplete
}

// attrValue checks the quoted value whose quote is at in[i]. It returns
// the offset after the closing quote, the value's end, and whether it
// needs unescaping.
func (p *parser) attrValue(i int) (next, end int, esc bool, err error) {
	in := p.in
	n := len(in)
	q := in[i]
	i++
	for {
		for i < n && attrPlain[in[i]] {
			i++
		}
		if i >= n {
			return 0, 0, false, errIncomplete
		}
		switch c := in[i]; {
		case c == q:
			return i + 1, i, esc, nil
		case c == '\'' || c == '"':
			i++
		case c == '&':
			_, next, err := p.entity(i)
			if err != nil {
				return 0, 0, false, err
			}
			esc = true
			i = next
		case c == '\t' || c == '\n' || c == '\r':
			esc = true
			i++
		case c == '<':
			return 0, 0, false, errNotWellFormed("'<' in an attribute value")
		case c >= utf8.RuneSelf:
			size, err := p.char(i)
			if err != nil {
				return 0, 0, false, err
			}
			i += size
		default:
			return 0, 0, false, errNotWellFormed("control character")
		}
	}
}

// entity decodes the reference at in[i] ('&') and returns the character
// and the offset after the ';'. Restricted XML has only the five
// predefined entities and character references (RFC 6120 §11.1).
func (p *parser) entity(i int) (rune, int, error) {
	return entityAt(p.in, i)
}

func entityAt(in []byte, i int) (rune, int, error) {
	n := len(in)
	j := i + 1
	if j < n && in[j] == '#' {
		j++
		base := rune(10)
		if j < n && in[j] == 'x' {
			base = 16
			j++
		}
		var r rune
		ds := j
		for ; j < n; j++ {
			c := in[j]
			var d rune
			switch {
			case c >= '0' && c <= '9':
				d = rune(c - '0')
			case base == 16 && c >= 'a' && c <= 'f':
				d = rune(c-'a') + 10
			case base == 16 && c >= 'A' && c <= 'F':
				d = rune(c-'A') + 10
			case c == ';':
				if j == ds || !isXMLChar(r) {
					return 0, 0, errNotWellFormed("bad character reference")
				}
				return r, j + 1, nil
			default:
				return 0, 0, errNotWellFormed("bad character reference")
			}
			r = r*base + d
			if r > utf8.MaxRune {
				return 0, 0, errNotWellFormed("bad character reference")
			}
		}
		return 0, 0, errIncomplete
	}
	// A named reference: a Name, then ';'.
	for j < n {
		c := in[j]
		if c == ';' {
			break
		}
		if c < utf8.RuneSelf {
			if !nameByte[c] && c != ':' || (j == i+1 && !nameStartByte[c] && c != ':') {
				return 0, 0, errNotWellFormed("bad entity reference")
			}
			j++
			continue
		}
		r, size := decodeChar(in[j:])
		if size == 0 {
			if !utf8.FullRune(in[j:]) {
				return 0, 0, errIncomplete
			}
			return 0, 0, errNotWellFormed("invalid UTF-8 or character")
		}
		if !isNameRune(r) || (j == i+1 && !isNameStartRune(r)) {
			return 0, 0, errNotWellFormed("bad entity reference")
		}
		j += size
	}
	if j >= n {
		return 0, 0, errIncomplete
	}
	switch string(in[i+1 : j]) {
	case "lt":
		return '<', j + 1, nil
	case "gt":
		return '>', j + 1, nil
	case "amp":
		return '&', j + 1, nil
	case "apos":
		return '\'', j + 1, nil
	case "quot":
		return '"', j + 1, nil
	case "":
		return 0, 0, errNotWellFormed("bad entity reference")
	}
	return 0, 0, errRestricted("undefined entity")
}

// unescapeText rewrites character data that parse accepted (references,
// \r, CDATA sections) in place and returns its new length.
func unescapeText(b []byte) int {
	w := 0
	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case '&':
			r, next, err := entityAt(b, i)
			if err != nil {
				return w // cannot happen: parse checked it
			}
			w += utf8.EncodeRune(b[w:], r)
			i = next
		case '\r':
			b[w] = '\n'
			w++
			i++
			if i < len(b) && b[i] == '\n' {
				i++
			}
		case '<':
			// A CDATA section: its content is literal but for line ends.
			for i += len(cdataOpen); i < len(b); {
				if b[i] == ']' && i+2 < len(b) && b[i+1] == ']' && b[i+2] == '>' {
					i += 3
					break
				}
				if b[i] == '\r' {
					b[w] = '\n'
					w++
					i++
					if i < len(b) && b[i] == '\n' {
						i++
					}
					continue
				}
				b[w] = b[i]
				w++
				i++
			}
		default:
			b[w] = c
			w++
			i++
		}
	}
	return w
}

// unescapeAttr rewrites an attribute value that parse accepted in place,
// with references replaced and white space normalized (XML 1.0 §3.3.3),
// and returns its new length.
func unescapeAttr(b []byte) int {
	w := 0
	for i := 0; i < len(b); {
		switch c := b[i]; c {
		case '&':
			r, next, err := entityAt(b, i)
			if err != nil {
				return w // cannot happen: parse checked it
			}
			w += utf8.EncodeRune(b[w:], r)
			i = next
		case '\r':
			b[w] = ' '
			w++
			i++
			if i < len(b) && b[i] == '\n' {
				i++
			}
		case '\t', '\n':
			b[w] = ' '
			w++
			i++
		default:
			b[w] = c
			w++
			i++
		}
	}
	return w
}
