package stream

import "unicode/utf8"

// Byte classes used by the scanners. A true entry means the byte needs no
// further look in that context; anything else stops the fast loop.
var (
	// textPlain: ASCII character data that is copied as is.
	textPlain [256]bool
	// attrPlain: ASCII attribute-value bytes copied as is (not a quote).
	attrPlain [256]bool
	// nameByte: ASCII bytes allowed in an NCName after the first one.
	nameByte [256]bool
	// nameStartByte: ASCII bytes allowed first in an NCName.
	nameStartByte [256]bool
	// escText and escAttr: bytes the serializer copies without a look.
	escText [256]bool
	escAttr [256]bool
)

func init() {
	for c := 0x20; c < 0x80; c++ {
		textPlain[c] = true
		attrPlain[c] = true
		escText[c] = true
		escAttr[c] = true
	}
	textPlain['\t'], textPlain['\n'] = true, true
	for _, c := range "<&]" {
		textPlain[c] = false
	}
	for _, c := range "<&'\"" {
		attrPlain[c] = false
	}
	escText['\t'], escText['\n'] = true, true
	for _, c := range "&<>" {
		escText[c] = false
	}
	for _, c := range "&<>'\"" {
		escAttr[c] = false
	}
	for c := 'a'; c <= 'z'; c++ {
		nameStartByte[c] = true
		nameStartByte[c-'a'+'A'] = true
	}
	nameStartByte['_'] = true
	nameByte = nameStartByte
	for c := '0'; c <= '9'; c++ {
		nameByte[c] = true
	}
	nameByte['-'], nameByte['.'] = true, true
}

// isSpace reports whether c is XML white space (S of XML 1.0 §2.3).
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r'
}

// isXMLChar reports whether r is a Char of XML 1.0 §2.2.
func isXMLChar(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// decodeChar decodes the non-ASCII character at b[0]. It returns its length,
// or 0 if it is not valid UTF-8 or not an XML Char.
func decodeChar(b []byte) (rune, int) {
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError && size <= 1 {
		return r, 0
	}
	if r == 0xFFFE || r == 0xFFFF {
		return r, 0
	}
	return r, size
}

// isNameStartRune reports whether the non-ASCII r may start a Name
// (NameStartChar of XML 1.0 fifth edition §2.3).
func isNameStartRune(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x2FF,
		r >= 0x370 && r <= 0x37D, r >= 0x37F && r <= 0x1FFF, r >= 0x200C && r <= 0x200D,
		r >= 0x2070 && r <= 0x218F, r >= 0x2C00 && r <= 0x2FEF, r >= 0x3001 && r <= 0xD7FF,
		r >= 0xF900 && r <= 0xFDCF, r >= 0xFDF0 && r <= 0xFFFD, r >= 0x10000 && r <= 0xEFFFF:
		return true
	}
	return false
}

// isNameRune reports whether the non-ASCII r may appear in a Name.
func isNameRune(r rune) bool {
	return isNameStartRune(r) || r == 0xB7 || (r >= 0x300 && r <= 0x36F) || (r >= 0x203F && r <= 0x2040)
}
