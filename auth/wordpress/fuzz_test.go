package wordpress

import (
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/wordpress/wptest"
)

func FuzzParseCookie(f *testing.F) {
	for _, fc := range wptest.Load(f).Cookies {
		f.Add(fc.Value)
	}
	f.Add("a|1|b|c")
	f.Fuzz(func(t *testing.T, v string) {
		c, err := ParseCookie(v)
		if err != nil {
			return
		}
		if c.Login == "" || c.Expiration < 0 {
			t.Fatalf("accepted %q as %+v", v, c)
		}
		s := Secrets{LoggedInKey: "k", LoggedInSalt: "s"}
		// A cookie that verifies must carry exactly the MAC we compute.
		if s.Verify(c, c.Login, "$P$Bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", time.Unix(0, 0)) &&
			c.MAC != s.ExpectedMAC(c, "$P$Bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") {
			t.Fatal("verified with a different MAC")
		}
		_ = unescapeCookie(v)
	})
}

func FuzzCheckPassword(f *testing.F) {
	for _, u := range wptest.Load(f).Users {
		if u.Kind == "phpass" {
			f.Add(u.Password, u.UserPass)
		}
	}
	f.Add("password", "5f4dcc3b5aa765d61d8327deb882cf99")
	f.Add("x", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0")
	f.Add("x", "$wp$2y$04$abcdefghijklmnopqrstuu")
	f.Add("x", "$2y$04$abcdefghijklmnopqrstuu")
	f.Fuzz(func(t *testing.T, password, hash string) {
		// Keep phpass counts small: the fuzzer is after crashes in the
		// parsing, not 2^30 MD5 rounds.
		if len(hash) > 3 && (strings.HasPrefix(hash, "$P$") || strings.HasPrefix(hash, "$H$")) &&
			strings.IndexByte(itoa64, hash[3]) > 12 {
			return
		}
		// bcrypt costs above 06 are slow; skip them too.
		if i := strings.Index(hash, "$2"); i >= 0 && len(hash) >= i+6 && hash[i+4:i+6] > "06" {
			return
		}
		CheckPassword(password, hash)
	})
}

func FuzzUnserialize(f *testing.F) {
	for _, m := range wptest.Load(f).UserMeta {
		f.Add([]byte(m.MetaValue))
	}
	f.Add([]byte(`a:1:{i:0;d:1e5;}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Unserialize(b)
		if err == nil && len(b) == 0 {
			t.Fatalf("empty input gave %v", v)
		}
		SessionValid(b, "token", time.Unix(0, 0))
	})
}

func FuzzEscapeLocalpart(f *testing.F) {
	f.Add(`bob smith`)
	f.Add(`c:\5c\20x`)
	f.Fuzz(func(t *testing.T, login string) {
		if got := UnescapeLocalpart(EscapeLocalpart(login)); got != login {
			t.Fatalf("round trip of %q gave %q", login, got)
		}
	})
}

func FuzzParseSecrets(f *testing.F) {
	f.Add(`define('LOGGED_IN_KEY', 'a\'b'); define("LOGGED_IN_SALT", "c\"d");`)
	f.Fuzz(func(t *testing.T, src string) {
		ParseSecrets(src)
	})
}
