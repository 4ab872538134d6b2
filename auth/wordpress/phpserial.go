package wordpress

import (
	"errors"
	"strconv"
	"time"
)

// The subset of PHP's serialize() format that session_tokens uses, parsed
// here rather than with a third-party library: the format is small, the
// input comes from the database, and the parser is fuzzed.
//
//	N;  b:0;  i:-12;  d:1.5;  s:3:"abc";  a:2:{<key><value><key><value>}
//
// Objects (O:, C:), references (r:, R:) and enums (E:) are refused:
// WordPress never writes them into session_tokens.

// Limits on serialized data, far above any real session_tokens value.
const (
	maxSerialized = 1 << 20 // bytes
	maxDepth      = 16      // nested arrays
)

// ErrSerialized is the error for input outside the supported subset.
var ErrSerialized = errors.New("wordpress: bad PHP-serialized data")

// Unserialize parses one PHP-serialized value that must fill data. Arrays
// become map[string]any (integer keys in decimal), integers int64, floats
// float64, strings string, booleans bool and N nil.
func Unserialize(data []byte) (any, error) {
	if len(data) > maxSerialized {
		return nil, ErrSerialized
	}
	p := phpParser{b: data}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if p.i != len(p.b) {
		return nil, ErrSerialized
	}
	return v, nil
}

type phpParser struct {
	b []byte
	i int
}

func (p *phpParser) value(depth int) (any, error) {
	if p.i+1 >= len(p.b) {
		return nil, ErrSerialized
	}
	t := p.b[p.i]
	if t == 'N' {
		if p.b[p.i+1] != ';' {
			return nil, ErrSerialized
		}
		p.i += 2
		return nil, nil
	}
	if p.b[p.i+1] != ':' {
		return nil, ErrSerialized
	}
	p.i += 2
	switch t {
	case 'b':
		n, err := p.int(';')
		if err != nil || (n != 0 && n != 1) {
			return nil, ErrSerialized
		}
		return n == 1, nil
	case 'i':
		return p.int(';')
	case 'd':
		tok, err := p.until(';')
		if err != nil {
			return nil, err
		}
		// PHP also writes INF, -INF and NAN; none belongs in a session.
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, ErrSerialized
		}
		return f, nil
	case 's':
		return p.str()
	case 'a':
		if depth >= maxDepth {
			return nil, ErrSerialized
		}
		n, err := p.int(':')
		if err != nil || n < 0 || n > int64(len(p.b)-p.i)/4 {
			return nil, ErrSerialized
		}
		if !p.eat('{') {
			return nil, ErrSerialized
		}
		m := make(map[string]any, n)
		for range n {
			var key string
			switch {
			case p.i < len(p.b) && p.b[p.i] == 'i':
				p.i++
				if !p.eat(':') {
					return nil, ErrSerialized
				}
				k, err := p.int(';')
				if err != nil {
					return nil, err
				}
				key = strconv.FormatInt(k, 10)
			case p.i < len(p.b) && p.b[p.i] == 's':
				p.i++
				if !p.eat(':') {
					return nil, ErrSerialized
				}
				if key, err = p.str(); err != nil {
					return nil, err
				}
			default:
				return nil, ErrSerialized
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		if !p.eat('}') {
			return nil, ErrSerialized
		}
		return m, nil
	}
	return nil, ErrSerialized
}

func (p *phpParser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// until returns the bytes up to end and consumes end.
func (p *phpParser) until(end byte) (string, error) {
	for j := p.i; j < len(p.b) && j-p.i < 32; j++ {
		if p.b[j] == end {
			s := string(p.b[p.i:j])
			p.i = j + 1
			return s, nil
		}
	}
	return "", ErrSerialized
}

func (p *phpParser) int(end byte) (int64, error) {
	tok, err := p.until(end)
	if err != nil || tok == "" || tok[0] == '+' {
		return 0, ErrSerialized
	}
	n, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		return 0, ErrSerialized
	}
	return n, nil
}

// str parses `len:"bytes";` (after "s:").
func (p *phpParser) str() (string, error) {
	n, err := p.int(':')
	if err != nil || n < 0 || n > int64(len(p.b)-p.i) {
		return "", ErrSerialized
	}
	if !p.eat('"') {
		return "", ErrSerialized
	}
	end := p.i + int(n)
	if end+2 > len(p.b) || p.b[end] != '"' || p.b[end+1] != ';' {
		return "", ErrSerialized
	}
	s := string(p.b[p.i:end])
	p.i = end + 2
	return s, nil
}

// SessionValid reports whether the session_tokens meta value (PHP-
// serialized, as WP_User_Meta_Session_Tokens stores it) holds an unexpired
// session for token at now. Malformed data holds none.
func SessionValid(sessionTokens []byte, token string, now time.Time) bool {
	v, err := Unserialize(sessionTokens)
	if err != nil {
		return false
	}
	sessions, ok := v.(map[string]any)
	if !ok {
		return false
	}
	s, ok := sessions[TokenVerifier(token)].(map[string]any)
	if !ok {
		return false
	}
	exp, ok := s["expiration"].(int64)
	return ok && exp >= now.Unix()
}
