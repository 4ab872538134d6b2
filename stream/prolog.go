package stream

import (
	"bytes"
	"strings"
)

// prolog handles what may come only at the very start of a stream: a
// byte order mark and the XML declaration. It reports false when it needs
// more bytes to decide.
func (d *Decoder) prolog(avail []byte) (bool, error) {
	const bom = "\xEF\xBB\xBF"
	switch c := avail[0]; {
	case c == 0xEF && !d.bomDone:
		if len(avail) < len(bom) {
			return false, nil
		}
		if string(avail[:3]) != bom {
			return false, errNotWellFormed("character data before the stream header")
		}
		d.r += 3
		d.bomDone = true
		avail = avail[3:]
		if len(avail) == 0 {
			return false, nil
		}
	case c == 0xFE || c == 0xFF || c == 0:
		return false, &Error{Condition: UnsupportedEncoding, Text: "only UTF-8 is supported"}
	}
	const decl = "<?xml"
	m := min(len(avail), len(decl)+1)
	if string(avail[:min(m, len(decl))]) != decl[:min(m, len(decl))] {
		if len(avail) > 1 && avail[0] == '<' && avail[1] == 0 {
			return false, &Error{Condition: UnsupportedEncoding, Text: "only UTF-8 is supported"}
		}
		d.atStart = false
		return true, nil
	}
	if m <= len(decl) {
		return false, nil
	}
	if !isSpace(avail[len(decl)]) {
		d.atStart = false // "<?xml-stylesheet": a processing instruction
		return true, nil
	}
	end, err := xmlDecl(avail)
	if err != nil || end == 0 {
		return false, err
	}
	d.r += end
	d.atStart = false
	return true, nil
}

// xmlDecl checks the XML declaration at the start of b (XML 1.0 §2.8) and
// returns its length, or 0 if its end is not in b yet.
func xmlDecl(b []byte) (int, error) {
	idx := bytes.Index(b, []byte("?>"))
	if idx < 0 {
		if len(b) > maxDeclLen {
			return 0, errNotWellFormed("XML declaration too long")
		}
		return 0, nil
	}
	s := b[len("<?xml"):idx]
	bad := errNotWellFormed("bad XML declaration")
	var names [3]string
	for k := 0; ; k++ {
		ws := 0
		for ws < len(s) && isSpace(s[ws]) {
			ws++
		}
		s = s[ws:]
		if len(s) == 0 {
			break
		}
		if ws == 0 || k == len(names) {
			return 0, bad
		}
		j := 0
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		name := string(s[:j])
		s = s[j:]
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		if len(s) == 0 || s[0] != '=' {
			return 0, bad
		}
		s = s[1:]
		for len(s) > 0 && isSpace(s[0]) {
			s = s[1:]
		}
		if len(s) == 0 || (s[0] != '\'' && s[0] != '"') {
			return 0, bad
		}
		q := bytes.IndexByte(s[1:], s[0])
		if q < 0 {
			return 0, bad
		}
		val := string(s[1 : 1+q])
		s = s[q+2:]
		switch {
		case name == "version" && k == 0:
			if len(val) < 3 || val[:2] != "1." || strings.Trim(val[2:], "0123456789") != "" {
				return 0, bad
			}
		case name == "encoding" && k > 0 && names[k-1] == "version":
			if !strings.EqualFold(val, "UTF-8") {
				return 0, &Error{Condition: UnsupportedEncoding, Text: "only UTF-8 is supported"}
			}
		case name == "standalone" && k > 0 && names[k-1] != "standalone":
			if val != "yes" && val != "no" {
				return 0, bad
			}
		default:
			return 0, bad
		}
		names[k] = name
	}
	if names[0] != "version" {
		return 0, bad
	}
	return idx + 2, nil
}
