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

// ParseSecrets finds the two defines in PHP source. PHP comments are not
// understood: the last define of each name wins, as PHP's first define
// would for non-commented code in the usual wp-config.php layout.
func ParseSecrets(src string) (Secrets, error) {
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
		switch m[2] {
		case "LOGGED_IN_KEY":
			s.LoggedInKey, haveKey = v, true
		case "LOGGED_IN_SALT":
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
