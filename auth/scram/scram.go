// Package scram holds the parts of SCRAM (RFC 5802, RFC 7677) that a client
// and a server share — hash names, password preparation, key derivation,
// saslname escaping and channel binding data (RFC 5929, RFC 9266) — and a
// SCRAM client for tests and the load generator.
//
// The server side, which works from stored keys only, is in package auth.
package scram

import (
	"crypto"
	"crypto/hmac"
	"crypto/pbkdf2"
	_ "crypto/sha1" // registers crypto.SHA1
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hash names as they appear in the mechanism names (SCRAM-<hash>[-PLUS]).
const (
	SHA1   = "SHA-1"
	SHA256 = "SHA-256"
	SHA512 = "SHA-512"
)

// DefaultIterations is the PBKDF2 iteration count used when none is given:
// the minimum RFC 7677 §4 recommends.
const DefaultIterations = 4096

// Errors returned by PreparePassword and the key derivation functions.
var (
	ErrEmptyPassword    = errors.New("scram: empty password")
	ErrPasswordEncoding = errors.New("scram: password is not valid UTF-8")
	ErrPasswordControl  = errors.New("scram: password contains a control character")
	ErrUnknownHash      = errors.New("scram: unknown hash")
	ErrIterations       = errors.New("scram: iteration count out of range")
	ErrEmptySalt        = errors.New("scram: empty salt")
)

// HashFunc returns the hash function named by one of SHA1, SHA256 or SHA512.
func HashFunc(name string) (crypto.Hash, bool) {
	switch name {
	case SHA1:
		return crypto.SHA1, true
	case SHA256:
		return crypto.SHA256, true
	case SHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// PreparePassword applies the part of the PRECIS OpaqueString profile
// (RFC 8265 §4.2) that needs no Unicode tables beyond the standard library:
// the password must be non-empty valid UTF-8 without control characters, and
// non-ASCII spaces are mapped to U+0020. NFC normalization is not applied:
// passwords are taken to be typed in NFC, as every common input method
// produces. Client and server both call it, so they always agree.
func PreparePassword(p string) (string, error) {
	if p == "" {
		return "", ErrEmptyPassword
	}
	ascii := true
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if c < 0x20 || c == 0x7f {
			return "", ErrPasswordControl
		}
	}
	if ascii {
		return p, nil
	}
	if !utf8.ValidString(p) {
		return "", ErrPasswordEncoding
	}
	var b strings.Builder
	b.Grow(len(p))
	for _, r := range p {
		switch {
		case unicode.Is(unicode.Cc, r):
			return "", ErrPasswordControl
		case r != ' ' && unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// SaltedPassword computes Hi(Normalize(password), salt, i) of RFC 5802 §3:
// PBKDF2 with HMAC over the named hash, as long as one hash output.
func SaltedPassword(hashName, password string, salt []byte, iterations int) ([]byte, error) {
	h, ok := HashFunc(hashName)
	if !ok {
		return nil, ErrUnknownHash
	}
	if iterations < 1 {
		return nil, ErrIterations
	}
	if len(salt) == 0 {
		return nil, ErrEmptySalt
	}
	p, err := PreparePassword(password)
	if err != nil {
		return nil, err
	}
	return pbkdf2.Key(h.New, p, salt, iterations, h.Size())
}

// DeriveKeys computes the StoredKey and ServerKey a server keeps for a
// password (RFC 5802 §3).
func DeriveKeys(hashName, password string, salt []byte, iterations int) (storedKey, serverKey []byte, err error) {
	salted, err := SaltedPassword(hashName, password, salt, iterations)
	if err != nil {
		return nil, nil, err
	}
	h, _ := HashFunc(hashName)
	storedKey = storedKeyOf(h, clientKeyOf(h, salted))
	serverKey = hmacSum(h, salted, "Server Key")
	return storedKey, serverKey, nil
}

func clientKeyOf(h crypto.Hash, salted []byte) []byte {
	return hmacSum(h, salted, "Client Key")
}

func storedKeyOf(h crypto.Hash, clientKey []byte) []byte {
	d := h.New()
	d.Write(clientKey)
	return d.Sum(nil)
}

func hmacSum(h crypto.Hash, key []byte, msg string) []byte {
	m := hmac.New(h.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// EscapeName encodes s as an RFC 5802 saslname: "=" becomes "=3D" and ","
// becomes "=2C".
func EscapeName(s string) string {
	if !strings.ContainsAny(s, "=,") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '=':
			b.WriteString("=3D")
		case ',':
			b.WriteString("=2C")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// ErrBadName reports a saslname that breaks RFC 5802 §7: empty, invalid
// UTF-8, a NUL or comma, or "=" not followed by "2C" or "3D".
var ErrBadName = errors.New("scram: malformed saslname")

// UnescapeName decodes an RFC 5802 saslname, checking it strictly.
func UnescapeName(s string) (string, error) {
	if s == "" || !utf8.ValidString(s) {
		return "", ErrBadName
	}
	escaped := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0, ',':
			return "", ErrBadName
		case '=':
			if i+2 >= len(s) {
				return "", ErrBadName
			}
			if e := s[i+1 : i+3]; e != "2C" && e != "3D" {
				return "", ErrBadName
			}
			escaped = true
			i += 2
		}
	}
	if !escaped {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		if s[i+2] == 'C' {
			b.WriteByte(',')
		} else {
			b.WriteByte('=')
		}
		i += 2
	}
	return b.String(), nil
}
