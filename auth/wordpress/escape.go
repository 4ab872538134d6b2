package wordpress

import "strings"

// XEP-0106 (JID Escaping) maps the ten characters a JID localpart cannot
// hold, or that would be ambiguous, to a backslash and two hex digits.
// WordPress logins may contain space, '@' and, when a plugin or an import
// bypassed sanitize_user, the others; the JID of "jo smith" is therefore
// jo\20smith@host, as every XEP-0106-aware client displays "jo smith".
var escapes = [...]struct {
	c   byte
	seq string
}{
	{' ', `\20`}, {'"', `\22`}, {'&', `\26`}, {'\'', `\27`}, {'/', `\2f`},
	{':', `\3a`}, {'<', `\3c`}, {'>', `\3e`}, {'@', `\40`}, {'\\', `\5c`},
}

func escapeOf(c byte) string {
	for _, e := range escapes {
		if e.c == c {
			return e.seq
		}
	}
	return ""
}

// isSeq reports whether s starts with one of the ten escape sequences
// (hex digits in either case, as XEP-0106 §4.3 allows on input).
func isSeq(s string) (byte, bool) {
	if len(s) < 3 || s[0] != '\\' {
		return 0, false
	}
	for _, e := range escapes {
		if strings.EqualFold(s[:3], e.seq) {
			return e.c, true
		}
	}
	return 0, false
}

// EscapeLocalpart turns a user_login into a JID localpart (XEP-0106 §4.2):
// the ten characters are escaped; a backslash is escaped only where it
// would otherwise start an escape sequence, as the XEP requires. Case is
// left alone; the JID's PRECIS profile lowercases it, and MySQL's
// case-insensitive collation finds the login again.
func EscapeLocalpart(login string) string {
	var b strings.Builder
	for i := 0; i < len(login); i++ {
		c := login[i]
		if c == '\\' {
			if _, ok := isSeq(login[i:]); ok {
				b.WriteString(`\5c`)
			} else {
				b.WriteByte(c)
			}
			continue
		}
		if seq := escapeOf(c); seq != "" {
			b.WriteString(seq)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// UnescapeLocalpart is the inverse: each escape sequence becomes its
// character; a lone backslash stays.
func UnescapeLocalpart(local string) string {
	if !strings.Contains(local, `\`) {
		return local
	}
	var b strings.Builder
	for i := 0; i < len(local); i++ {
		if c, ok := isSeq(local[i:]); ok {
			b.WriteByte(c)
			i += 2
			continue
		}
		b.WriteByte(local[i])
	}
	return b.String()
}
