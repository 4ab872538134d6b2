package wordpress

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// defineRE matches define( 'NAME', 'value' ) with either quote style.
var defineRE = regexp.MustCompile(`define\s*\(\s*(['"])(LOGGED_IN_KEY|LOGGED_IN_SALT)(['"])\s*,\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\)`)

// ReadSecrets reads LOGGED_IN_KEY and LOGGED_IN_SALT from a wp-config.php
// (or any PHP file that defines them with literal strings). It does not run
// PHP: a value computed at run time (getenv, a constant) is not found.
func ReadSecrets(path string) (Secrets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Secrets{}, err
	}
	s, err := ParseSecrets(string(b))
	if err != nil {
		return Secrets{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseSecrets finds the two defines in PHP source. As in PHP, the first
// define of each name wins: PHP ignores a second define of a constant
// (with a warning), so a later one in the file never takes effect.
// Defines inside PHP comments are skipped, so an old value commented out
// above the real one is not taken for it.
func ParseSecrets(src string) (Secrets, error) {
	src = blankComments(src)
	var s Secrets
	var haveKey, haveSalt bool
	for _, ix := range defineRE.FindAllStringSubmatchIndex(src, -1) {
		group := func(n int) string {
			if ix[2*n] < 0 {
				return ""
			}
			return src[ix[2*n]:ix[2*n+1]]
		}
		m := [...]string{"", group(1), group(2), group(3)}
		if m[1] != m[3] {
			continue
		}
		var v string
		if ix[8] >= 0 {
			v = unquoteSingle(group(4))
		} else {
			v = unquoteDouble(group(5))
		}
		switch {
		case m[2] == "LOGGED_IN_KEY" && !haveKey:
			s.LoggedInKey, haveKey = v, true
		case m[2] == "LOGGED_IN_SALT" && !haveSalt:
			s.LoggedInSalt, haveSalt = v, true
		}
	}
	if !haveKey || !haveSalt {
		return Secrets{}, fmt.Errorf("no define of LOGGED_IN_KEY and LOGGED_IN_SALT with literal strings")
	}
	return s, nil
}

// unquoteSingle undoes PHP single-quoted escapes: \' and \\ only.
func unquoteSingle(s string) string {
	return strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(s)
}

// unquoteDouble undoes the PHP double-quoted escapes secrets can hold.
func unquoteDouble(s string) string {
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`, `\n`, "\n", `\t`, "\t").Replace(s)
}

// blankComments replaces PHP comments (//, # and /* */) with spaces,
// leaving quoted strings alone, so a define that is commented out is not
// matched. Heredocs are not understood; wp-config.php does not use them
// for its keys.
func blankComments(src string) string {
	b := []byte(src)
	blank := func(from, to int) {
		for k := from; k < to; k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
	}
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\'' || c == '"':
			// Skip the string, minding backslash escapes.
			for i++; i < len(b) && b[i] != c; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case c == '#' && (i+1 >= len(b) || b[i+1] != '['), // "#[" is a PHP 8 attribute
			c == '/' && i+1 < len(b) && b[i+1] == '/':
			end := i
			for end < len(b) && b[end] != '\n' && !(b[end] == '?' && end+1 < len(b) && b[end+1] == '>') {
				end++
			}
			blank(i, end)
			i = end - 1
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			end := strings.Index(string(b[i+2:]), "*/")
			if end < 0 {
				end = len(b)
			} else {
				end += i + 4
			}
			blank(i, end)
			i = end - 1
		}
	}
	return string(b)
}
