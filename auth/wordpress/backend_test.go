package wordpress_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/auth/wordpress"
	"github.com/meerkat-xmpp/meerkat/auth/wordpress/wptest"
	"github.com/meerkat-xmpp/meerkat/internal/testmysql"
)

func TestMain(m *testing.M) { testmysql.Main(m) }

func openBackend(t *testing.T, prefix string, mod func(*wordpress.Config)) (*wordpress.Backend, *wptest.Fixtures) {
	t.Helper()
	dsn := testmysql.DSN(t)
	f := wptest.Seed(t, dsn, prefix)
	cfg := wordpress.Config{
		DSN: dsn, TablePrefix: prefix,
		Secrets: wordpress.Secrets{LoggedInKey: f.LoggedInKey, LoggedInSalt: f.LoggedInSalt},
		Cookies: true, Passwords: true, HTTPCookies: true,
		Now: func() time.Time { return wptest.Now },
	}
	if mod != nil {
		mod(&cfg)
	}
	b, err := wordpress.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, f
}

func TestBackendPLAIN(t *testing.T) {
	b, f := openBackend(t, "wpx_", nil)
	ctx := context.Background()
	ci := auth.ConnInfo{Host: "example.com"}
	type tc struct {
		name, authcid, secret, want string
		err                         error
	}
	var tests []tc
	for _, u := range f.Users {
		local := wordpress.EscapeLocalpart(u.Login)
		tests = append(tests,
			tc{"password " + u.Kind, local, u.Password, local, nil},
			tc{"wrong password " + u.Kind, local, u.Password + "!", "", auth.ErrBadCredentials})
	}
	for _, c := range f.Cookies {
		u := f.User(c.UserID)
		local := wordpress.EscapeLocalpart(u.Login)
		if c.ValidFor != "" {
			tests = append(tests, tc{"cookie " + c.Name + " " + u.Login, local, c.Value, local, nil})
			// The same cookie, URL-encoded as the browser holds it.
			tests = append(tests, tc{"encoded cookie " + c.Name + " " + u.Login, local, url.QueryEscape(c.Value), local, nil})
			// Another user's cookie never logs in as dave.
			tests = append(tests, tc{"wrong user " + c.Name + " " + u.Login, "dave", c.Value, "", auth.ErrBadCredentials})
			tampered := c.Value[:len(c.Value)-1] + "0"
			if tampered == c.Value {
				tampered = c.Value[:len(c.Value)-1] + "1"
			}
			tests = append(tests, tc{"tampered " + c.Name + " " + u.Login, local, tampered, "", auth.ErrBadCredentials})
		} else {
			tests = append(tests, tc{c.Name, local, c.Value, "", auth.ErrBadCredentials})
		}
	}
	tests = append(tests,
		tc{"unknown user", "nobody", "x", "", auth.ErrUnknownUser},
		tc{"login case folded by the JID", "carol\\40example", f.User(3).Password, "Carol\\40Example", nil},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.CheckPassword(ctx, ci, tt.authcid, tt.secret)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("CheckPassword(%q, %q) = %q, %v; want %q, %v", tt.authcid, tt.secret, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestBackendSwitches(t *testing.T) {
	b, f := openBackend(t, "wp_", func(c *wordpress.Config) { c.Passwords = false; c.HTTPCookies = false })
	ctx := context.Background()
	if _, err := b.CheckPassword(ctx, auth.ConnInfo{}, "alice", f.User(1).Password); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("password accepted with passwords = false: %v", err)
	}
	ci := auth.ConnInfo{Cookies: []*http.Cookie{{Name: wordpress.CookiePrefix + "abc", Value: f.Cookies[0].Value}}}
	if b.HasExternal(ci) {
		t.Error("HasExternal with http_cookies = false")
	}
}

func TestBackendHTTPCookie(t *testing.T) {
	b, f := openBackend(t, "wp_", nil)
	ctx := context.Background()
	cookie := func(v string) []*http.Cookie {
		return []*http.Cookie{{Name: "other", Value: "x"}, {Name: wordpress.CookiePrefix + "0123abcd", Value: url.QueryEscape(v)}}
	}
	for _, c := range f.Cookies {
		ci := auth.ConnInfo{Host: "example.com", Cookies: cookie(c.Value)}
		if !b.HasExternal(ci) {
			t.Fatal("HasExternal = false with a logged-in cookie")
		}
		got, err := b.CheckExternal(ctx, ci, "")
		want := ""
		if c.ValidFor != "" {
			want = wordpress.EscapeLocalpart(c.ValidFor)
		}
		if got != want || (want == "") != (err != nil) {
			t.Errorf("%s for %d: got %q, %v; want %q", c.Name, c.UserID, got, err, want)
		}
	}
	if b.HasExternal(auth.ConnInfo{Cookies: []*http.Cookie{{Name: "wordpress_sec_x", Value: "y"}}}) {
		t.Error("HasExternal with only other cookies")
	}
}

// TestBackendChangedPassword: with the cache on, a changed user_pass
// takes effect at once; the old password stops working.
func TestBackendChangedPassword(t *testing.T) {
	dsn := testmysql.DSN(t)
	f := wptest.Seed(t, dsn, "wp_")
	b, err := wordpress.Open(wordpress.Config{DSN: dsn, Passwords: true, CacheTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	alice := f.User(1)
	for range 2 {
		if _, err := b.CheckPassword(ctx, auth.ConnInfo{}, "alice", alice.Password); err != nil {
			t.Fatal(err)
		}
	}
	bob := f.User(2) // give alice bob's hash: alice's password no longer matches
	if err := wptest.Exec(dsn, "UPDATE wp_users SET user_pass = ? WHERE ID = 1", bob.UserPass); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckPassword(ctx, auth.ConnInfo{}, "alice", alice.Password); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("old password after the change: %v", err)
	}
	if _, err := b.CheckPassword(ctx, auth.ConnInfo{}, "alice", bob.Password); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

// TestBackendDown: an unreachable database is a server-side error
// (temporary-auth-failure), returned within the query timeout.
func TestBackendDown(t *testing.T) {
	b, err := wordpress.Open(wordpress.Config{DSN: "root@tcp(127.0.0.1:1)/wp", Passwords: true, QueryTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Now()
	_, err = b.CheckPassword(context.Background(), auth.ConnInfo{}, "alice", "x")
	if err == nil || errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrUnknownUser) {
		t.Fatalf("err = %v, want a server-side error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []wordpress.Config{
		{DSN: "root@tcp(127.0.0.1:3306)/wp", TablePrefix: "wp; DROP TABLE x"},
		{DSN: "::not a dsn"},
		{DSN: "root@tcp(127.0.0.1:3306)/wp", Cookies: true},
	} {
		if _, err := wordpress.Open(c); err == nil {
			t.Errorf("Open(%+v) accepted", c)
		}
	}
}

// BenchmarkBackendCookie is a whole cookie login against MariaDB: the
// wp_users query, the HMACs and, for the modern form, the session_tokens
// query.
func BenchmarkBackendCookie(b *testing.B) {
	dsn := testmysql.DSN(b)
	f := wptest.Seed(b, dsn, "wp_")
	be, err := wordpress.Open(wordpress.Config{DSN: dsn, Cookies: true,
		Secrets: wordpress.Secrets{LoggedInKey: f.LoggedInKey, LoggedInSalt: f.LoggedInSalt},
		Now:     func() time.Time { return wptest.Now }})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	for _, c := range f.Cookies {
		if c.ValidFor == "" || c.UserID != 1 {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := be.CheckPassword(context.Background(), auth.ConnInfo{}, "alice", c.Value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBackendJunkLogins: logins that cannot exist fail as unknown users,
// never as database errors.
func TestBackendJunkLogins(t *testing.T) {
	b, _ := openBackend(t, "wp_", nil)
	ctx := context.Background()
	for _, login := range []string{strings.Repeat("x", 61), "bad\xffutf8", "nul\x00byte"} {
		if _, err := b.CheckPassword(ctx, auth.ConnInfo{}, login, "x"); !errors.Is(err, auth.ErrUnknownUser) {
			t.Errorf("%q: %v", login, err)
		}
	}
	ci := auth.ConnInfo{Cookies: []*http.Cookie{{Name: wordpress.CookiePrefix + "x", Value: "bad\xff|2000000000|" + strings.Repeat("a", 32)}}}
	if _, err := b.CheckExternal(ctx, ci, ""); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("junk cookie login: %v", err)
	}
}
