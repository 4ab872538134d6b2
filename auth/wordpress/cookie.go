package wordpress

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// maxCookie bounds what ParseCookie looks at; real cookies are about 200
// bytes (a 60-character login, a 10-digit time, a 43-character token, a
// 64-digit HMAC).
const maxCookie = 1024

// ErrCookieSyntax is ParseCookie's error for anything that is not a
// logged-in cookie.
var ErrCookieSyntax = errors.New("wordpress: not a logged-in cookie")

// Cookie is a parsed "wordpress_logged_in_*" cookie value.
type Cookie struct {
	// Login is the user_login the cookie claims.
	Login string
	// Expiration is when it stops being valid, in Unix seconds.
	Expiration int64
	// Token is the session token of the modern form; empty in the legacy
	// one.
	Token string
	// MAC is the hex HMAC the cookie ends with: MD5 (32 digits) in the
	// legacy form, SHA-256 (64) in the modern one.
	MAC string
}

// Legacy reports whether c is the three-part form of WordPress before 4.0.
func (c Cookie) Legacy() bool { return c.Token == "" }

// ParseCookie splits a cookie value, already URL-decoded, in either form:
// "login|expiration|hmac" (WordPress 2.6 to 3.9) or
// "login|expiration|token|hmac" (4.0 and later). The login may not be
// empty; the expiration is decimal; the HMAC is lower-case hex of the
// size its form uses. It checks no signature.
func ParseCookie(v string) (Cookie, error) {
	if len(v) > maxCookie {
		return Cookie{}, ErrCookieSyntax
	}
	parts := strings.Split(v, "|")
	var c Cookie
	switch len(parts) {
	case 3:
		c = Cookie{Login: parts[0], MAC: parts[2]}
		if len(c.MAC) != 2*md5.Size {
			return Cookie{}, ErrCookieSyntax
		}
	case 4:
		c = Cookie{Login: parts[0], Token: parts[2], MAC: parts[3]}
		if c.Token == "" || len(c.MAC) != 2*sha256.Size {
			return Cookie{}, ErrCookieSyntax
		}
	default:
		return Cookie{}, ErrCookieSyntax
	}
	if c.Login == "" || !isHex(c.MAC) {
		return Cookie{}, ErrCookieSyntax
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || exp < 0 || parts[1][0] == '+' {
		return Cookie{}, ErrCookieSyntax
	}
	c.Expiration = exp
	return c, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// Secrets are the two wp-config.php defines the logged-in cookie is
// keyed with; wp_salt('logged_in') is their concatenation.
type Secrets struct {
	LoggedInKey  string
	LoggedInSalt string
}

func (s Secrets) salt() []byte { return []byte(s.LoggedInKey + s.LoggedInSalt) }

// wpHash is WordPress's wp_hash($data, 'logged_in'): hex HMAC-MD5 under
// the salt.
func (s Secrets) wpHash(data string) string {
	m := hmac.New(md5.New, s.salt())
	m.Write([]byte(data))
	return hex.EncodeToString(m.Sum(nil))
}

// ExpectedMAC computes the HMAC a cookie for a user whose user_pass is
// userPass must carry, as wp_generate_auth_cookie does:
//
//	frag = user_pass[8:12]
//	legacy: key = wp_hash(login . frag . '|' . exp)
//	        mac = HMAC-MD5(key, login . '|' . exp)
//	modern: key = wp_hash(login . '|' . frag . '|' . exp . '|' . token)
//	        mac = HMAC-SHA256(key, login . '|' . exp . '|' . token)
func (s Secrets) ExpectedMAC(c Cookie, userPass string) string {
	frag := ""
	if len(userPass) > 8 {
		frag = userPass[8:min(12, len(userPass))]
	}
	exp := strconv.FormatInt(c.Expiration, 10)
	if c.Legacy() {
		key := s.wpHash(c.Login + frag + "|" + exp)
		m := hmac.New(md5.New, []byte(key))
		m.Write([]byte(c.Login + "|" + exp))
		return hex.EncodeToString(m.Sum(nil))
	}
	key := s.wpHash(c.Login + "|" + frag + "|" + exp + "|" + c.Token)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(c.Login + "|" + exp + "|" + c.Token))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether c is a valid, unexpired cookie of the user whose
// login and user_pass are given, at now. The login comparison is exact,
// as WordPress's HMAC makes it. It does not check the session token of
// the modern form against the user's session_tokens: see SessionValid.
func (s Secrets) Verify(c Cookie, login, userPass string, now time.Time) bool {
	if c.Login != login || c.Expiration < now.Unix() {
		return false
	}
	return hmac.Equal([]byte(s.ExpectedMAC(c, userPass)), []byte(c.MAC))
}

// TokenVerifier is how WP_User_Meta_Session_Tokens keys a session: the
// hex SHA-256 of the token.
func TokenVerifier(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
