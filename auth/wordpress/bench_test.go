package wordpress

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/auth/wordpress/wptest"
)

// BenchmarkCookieVerify is the CPU part of a cookie login: parse, two
// HMACs (MD5 then SHA-256, or MD5 twice) and, for the modern form, the
// session_tokens parse. The database round trips come on top.
func BenchmarkCookieVerify(b *testing.B) {
	f := wptest.Load(b)
	s := Secrets{LoggedInKey: f.LoggedInKey, LoggedInSalt: f.LoggedInSalt}
	for _, legacy := range []bool{false, true} {
		name := "modern"
		if legacy {
			name = "legacy"
		}
		b.Run(name, func(b *testing.B) {
			for _, fc := range f.Cookies {
				if fc.Legacy != legacy || fc.ValidFor == "" {
					continue
				}
				u := f.User(fc.UserID)
				login, pass := u.Login, u.UserPass
				meta := f.SessionTokens(fc.UserID)
				b.ReportAllocs()
				for b.Loop() {
					c, err := ParseCookie(fc.Value)
					if err != nil || !s.Verify(c, login, pass, wptest.Now) {
						b.Fatal("does not verify")
					}
					if !c.Legacy() && !SessionValid(meta, c.Token, wptest.Now) {
						b.Fatal("no session")
					}
				}
				return
			}
			b.Fatal("no fixture")
		})
	}
}

// BenchmarkPhpass is a WordPress 2.5-6.7 password check: 8193 MD5s.
func BenchmarkPhpass(b *testing.B) {
	f := wptest.Load(b)
	for _, u := range f.Users {
		if u.Kind == "phpass" {
			b.ReportAllocs()
			for b.Loop() {
				if !CheckPassword(u.Password, u.UserPass) {
					b.Fatal("no match")
				}
			}
			return
		}
	}
}
