package wordpress

import (
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/wordpress/wptest"
)

func TestCheckPasswordFixtures(t *testing.T) {
	f := wptest.Load(t)
	kinds := map[string]bool{}
	for _, u := range f.Users {
		kinds[u.Kind] = true
		t.Run(u.Kind+"/"+u.Login, func(t *testing.T) {
			if !CheckPassword(u.Password, u.UserPass) {
				t.Errorf("CheckPassword(%q, %q) = false, want true", u.Password, u.UserPass)
			}
			for _, wrong := range []string{"", u.Password + "x", strings.ToUpper(u.Password), u.Password[1:]} {
				if CheckPassword(wrong, u.UserPass) {
					t.Errorf("CheckPassword(%q) = true for a wrong password", wrong)
				}
			}
		})
	}
	for _, k := range []string{"phpass", "bcrypt", "wp68"} {
		if !kinds[k] {
			t.Errorf("no %s hash in the fixtures", k)
		}
	}
}

func TestCheckPasswordOthers(t *testing.T) {
	tests := []struct {
		name, password, hash string
		want                 bool
	}{
		{"md5 of WordPress before 2.5", "password", "5f4dcc3b5aa765d61d8327deb882cf99", true},
		{"md5 upper case", "password", "5F4DCC3B5AA765D61D8327DEB882CF99", true},
		{"md5 wrong", "passwore", "5f4dcc3b5aa765d61d8327deb882cf99", false},
		// The phpass test vector of Openwall's PasswordHash test.php.
		{"phpass vector", "test12345", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", true},
		{"phpass vector wrong", "test12346", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", false},
		{"phpass bad count", "test12345", "$P$0IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", false},
		{"phpass truncated", "test12345", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L", false},
		{"empty hash", "", "", false},
		{"unknown scheme", "x", "$argon2id$v=19$m=65536,t=4,p=1$c29tZXNhbHQ$abc", false},
		{"too long", strings.Repeat("a", maxPassword+1), "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckPassword(tc.password, tc.hash); got != tc.want {
				t.Errorf("CheckPassword(%q, %q) = %v, want %v", tc.password, tc.hash, got, tc.want)
			}
		})
	}
}

func TestCookieFixtures(t *testing.T) {
	f := wptest.Load(t)
	s := Secrets{LoggedInKey: f.LoggedInKey, LoggedInSalt: f.LoggedInSalt}
	seen := map[bool]bool{}
	for _, fc := range f.Cookies {
		t.Run(fc.Name+"/"+fc.Value[:strings.IndexByte(fc.Value, '|')], func(t *testing.T) {
			c, err := ParseCookie(fc.Value)
			if err != nil {
				t.Fatalf("ParseCookie: %v", err)
			}
			if c.Legacy() != fc.Legacy || c.Expiration != fc.Expiration {
				t.Fatalf("parsed %+v, want legacy %v expiration %d", c, fc.Legacy, fc.Expiration)
			}
			u := f.User(fc.UserID)
			login, pass := u.Login, u.UserPass
			ok := s.Verify(c, login, pass, wptest.Now)
			if ok && !c.Legacy() {
				ok = SessionValid(f.SessionTokens(fc.UserID), c.Token, wptest.Now)
			}
			if want := fc.ValidFor != ""; ok != want {
				t.Fatalf("valid = %v, want %v", ok, want)
			}
			if fc.ValidFor != "" {
				seen[c.Legacy()] = true
				// Another user's login and password hash never verify it.
				for _, u := range f.Users {
					if u.ID != fc.UserID && s.Verify(c, u.Login, u.UserPass, wptest.Now) {
						t.Errorf("verifies as %s", u.Login)
					}
				}
				// Any changed character of the HMAC, the login or the
				// expiration breaks it; so do wrong secrets and a changed
				// password hash.
				for _, bad := range tamper(fc.Value) {
					if c2, err := ParseCookie(bad); err == nil && s.Verify(c2, login, pass, wptest.Now) {
						t.Errorf("tampered cookie %q verifies", bad)
					}
				}
				if (Secrets{LoggedInKey: s.LoggedInKey, LoggedInSalt: s.LoggedInSalt + "x"}).Verify(c, login, pass, wptest.Now) {
					t.Error("verifies with another salt")
				}
				if s.Verify(c, login, pass[:8]+"XXXX"+pass[12:], wptest.Now) {
					t.Error("verifies after the password changed")
				}
				if s.Verify(c, login, pass, time.Unix(fc.Expiration+1, 0)) {
					t.Error("verifies after its expiration")
				}
			}
		})
	}
	if !seen[true] || !seen[false] {
		t.Errorf("valid cookies seen: legacy %v, modern %v", seen[true], seen[false])
	}
}

// tamper returns copies of a cookie with one field changed.
func tamper(v string) []string {
	parts := strings.Split(v, "|")
	var out []string
	for i := range parts {
		p := append([]string(nil), parts...)
		b := []byte(p[i])
		if b[len(b)-1] == 'a' {
			b[len(b)-1] = 'b'
		} else if b[len(b)-1] == '1' {
			b[len(b)-1] = '2'
		} else {
			b[len(b)-1] = 'a'
		}
		p[i] = string(b)
		out = append(out, strings.Join(p, "|"))
	}
	return out
}

func TestParseCookie(t *testing.T) {
	mac32, mac64 := strings.Repeat("a", 32), strings.Repeat("0", 64)
	tests := []struct {
		in string
		ok bool
	}{
		{"alice|1|" + mac32, true},
		{"alice|1|tok|" + mac64, true},
		{"a|b|c|d|e", false},
		{"alice|1|" + mac64, false},
		{"alice|1|tok|" + mac32, false},
		{"|1|" + mac32, false},
		{"alice|-1|" + mac32, false},
		{"alice|+1|" + mac32, false},
		{"alice|x|" + mac32, false},
		{"alice|1||" + mac64, false},
		{"alice|1|" + strings.ToUpper(strings.Repeat("f", 32)), false},
		{"alice", false},
		{"", false},
	}
	for _, tc := range tests {
		_, err := ParseCookie(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseCookie(%q) err = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestUnserialize(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`a:0:{}`, true},
		{`a:2:{i:0;s:1:"x";s:1:"k";a:1:{s:10:"expiration";i:5;}}`, true},
		{`N;`, true},
		{`b:1;`, true},
		{`d:1.5;`, true},
		{`s:3:"a"b";`, true},
		{`s:4:"abc";`, false},
		{`a:1:{i:0;s:1:"x";`, false},
		{`a:1:{d:0.5;s:1:"x";}`, false},
		{`O:8:"stdClass":0:{}`, false},
		{`b:2;`, false},
		{`i:99999999999999999999;`, false},
		{`a:99999:{}`, false},
		{`i:1;i:2;`, false},
		{strings.Repeat(`a:1:{i:0;`, 20) + `N;` + strings.Repeat(`}`, 20), false},
	}
	for _, tc := range tests {
		_, err := Unserialize([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("Unserialize(%q) err = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
	f := wptest.Load(t)
	if len(f.UserMeta) == 0 {
		t.Fatal("no usermeta in the fixtures")
	}
	for _, m := range f.UserMeta {
		if _, err := Unserialize([]byte(m.MetaValue)); err != nil {
			t.Errorf("user %d %s: %v", m.UserID, m.MetaKey, err)
		}
	}
}

func TestEscapeLocalpart(t *testing.T) {
	tests := []struct{ login, local string }{
		{"alice", "alice"},
		{"bob smith", `bob\20smith`},
		{"Carol@Example", `Carol\40Example`},
		{`d'artagnan`, `d\27artagnan`},
		{`a<b>&"c"/d:e`, `a\3cb\3e\26\22c\22\2fd\3ae`},
		{`back\slash`, `back\slash`},
		{`c:\5commas`, `c\3a\5c5commas`},
	}
	for _, tc := range tests {
		if got := EscapeLocalpart(tc.login); got != tc.local {
			t.Errorf("EscapeLocalpart(%q) = %q, want %q", tc.login, got, tc.local)
		}
		if got := UnescapeLocalpart(tc.local); got != tc.login {
			t.Errorf("UnescapeLocalpart(%q) = %q, want %q", tc.local, got, tc.login)
		}
	}
}

func TestParseSecrets(t *testing.T) {
	tests := []struct {
		name, src string
		key, salt string // want; "" for an error
	}{
		{"quotes and escapes", `<?php
define( 'DB_NAME', 'wordpress' );
define( 'LOGGED_IN_KEY',    'k\'ey|with\\slash' );
define("LOGGED_IN_SALT", "sa\"lt \$x");
`, `k'ey|with\slash`, `sa"lt $x`},
		// PHP keeps the first define and ignores the second with a warning.
		{"first define wins", `<?php
define('LOGGED_IN_KEY', 'first key');
define('LOGGED_IN_SALT', 'first salt');
define('LOGGED_IN_KEY', 'second key');
define('LOGGED_IN_SALT', 'second salt');
`, "first key", "first salt"},
		{"commented-out defines are skipped", `<?php
// define('LOGGED_IN_KEY', 'old key');
# define('LOGGED_IN_SALT', 'old salt');
/* define('LOGGED_IN_KEY', 'older key');
   define('LOGGED_IN_SALT', 'older salt'); */
define('LOGGED_IN_KEY', 'key'); // the real one
define('LOGGED_IN_SALT', 'salt#not // a comment /* either */');
`, "key", "salt#not // a comment /* either */"},
		{"no LOGGED_IN_SALT", `<?php define('LOGGED_IN_KEY', 'x');`, "", ""},
		{"only in a comment", `<?php define('LOGGED_IN_KEY', 'x'); // define('LOGGED_IN_SALT', 'y');`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSecrets(tt.src)
			if tt.key == "" {
				if err == nil {
					t.Fatalf("no error, got %+v", s)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.LoggedInKey != tt.key || s.LoggedInSalt != tt.salt {
				t.Errorf("got %+v, want key %q, salt %q", s, tt.key, tt.salt)
			}
		})
	}
}
