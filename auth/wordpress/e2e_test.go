package wordpress_test

import (
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/auth/wordpress"
	"github.com/meerkat-xmpp/meerkat/auth/wordpress/wptest"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/internal/selfsigned"
	"github.com/meerkat-xmpp/meerkat/internal/testmysql"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// seed fills a fresh WordPress database with the fixtures.
func seed(t *testing.T) (dsn string, f *wptest.Fixtures) {
	t.Helper()
	dsn = testmysql.DSN(t)
	return dsn, wptest.Seed(t, dsn, "wp_")
}

// openWP opens the backend on the fixtures' database and secrets; with
// httpCookies it also takes the wordpress_logged_in_* cookie of an HTTP
// request (SASL EXTERNAL over WebSocket and BOSH).
func openWP(t *testing.T, dsn string, f *wptest.Fixtures, httpCookies bool) *wordpress.Backend {
	t.Helper()
	wp, err := wordpress.Open(wordpress.Config{
		DSN: dsn, Secrets: wordpress.Secrets{LoggedInKey: f.LoggedInKey, LoggedInSalt: f.LoggedInSalt},
		Cookies: true, Passwords: true, HTTPCookies: httpCookies, Now: func() time.Time { return wptest.Now },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wp.Close() })
	return wp
}

// newServer returns a c2s server whose host "localhost" logs in against wp
// and allows ANONYMOUS; it is shut down when the test ends.
func newServer(t *testing.T, wp *wordpress.Backend) (*c2s.Server, *sqlite.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meerkat.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := selfsigned.Generate([]string{"localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	r := router.New(router.Options{Hosts: []string{"localhost"}, Users: store})
	a := auth.NewServer(auth.Config{
		Hosts:    map[string]auth.HostConfig{"localhost": {Backends: []auth.Backend{wp}, Anonymous: true}},
		Accounts: store,
	}, store)
	srv := c2s.NewServer(c2s.Deps{Router: r, Auth: a, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Shutdown(sctx)
		cancel()
		store.Close()
	})
	return srv, store
}

// startC2S runs a c2s listener (STARTTLS) whose host "localhost" logs in
// against the WordPress database of the fixtures, and allows ANONYMOUS.
func startC2S(t *testing.T) (addr string, f *wptest.Fixtures, store *sqlite.Store) {
	t.Helper()
	dsn, f := seed(t)
	srv, store := newServer(t, openWP(t, dsn, f, false))
	la, err := srv.Listen(context.Background(), c2s.ListenerConfig{Address: "127.0.0.1:0", Mode: c2s.ModeStartTLS, StartTLSRequired: true, MaxAuthFailures: 3})
	if err != nil {
		t.Fatal(err)
	}
	return la.String(), f, store
}

func mechanisms(features *stream.Element) []string {
	var out []string
	m := features.Child(auth.NS, "mechanisms")
	if m == nil {
		return nil
	}
	for c := range m.Elements() {
		out = append(out, c.Text())
	}
	return out
}

// TestLoginOverTCP logs in over STARTTLS with WordPress's own cookies of
// both forms and with passwords of each hash kind; tampered, expired,
// logged-out and wrong-user cookies get not-authorized.
func TestLoginOverTCP(t *testing.T) {
	addr, f, _ := startC2S(t)
	type attempt struct {
		name, user, secret string
		ok                 bool
	}
	var attempts []attempt
	for _, u := range f.Users {
		attempts = append(attempts, attempt{"password " + u.Kind, wordpress.EscapeLocalpart(u.Login), u.Password, true})
	}
	for _, c := range f.Cookies {
		u := f.User(c.UserID)
		local := wordpress.EscapeLocalpart(u.Login)
		attempts = append(attempts, attempt{"cookie " + c.Name, local, c.Value, c.ValidFor != ""})
		if c.ValidFor != "" {
			attempts = append(attempts,
				attempt{"tampered " + c.Name, local, c.Value[:len(c.Value)-4] + "0000", false},
				attempt{"wrong user " + c.Name, "dave", c.Value, false})
		}
	}
	for _, at := range attempts {
		t.Run(at.name+"/"+at.user, func(t *testing.T) {
			c, err := xmpptest.Connect(t, addr, xmpptest.Options{User: at.user, Password: at.secret, Mech: "PLAIN"})
			if at.ok {
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				if want := strings.ToLower(at.user) + "@localhost/"; !strings.HasPrefix(c.JID, want) {
					t.Errorf("JID %q, want %s...", c.JID, want)
				}
				return
			}
			var ae *xmpptest.AuthError
			if !errors.As(err, &ae) || ae.Condition != auth.NotAuthorized {
				t.Fatalf("err = %v, want not-authorized", err)
			}
		})
	}
}

// TestOfferedMechanisms: a host with only WordPress (and anonymous) offers
// no SCRAM, and PLAIN only after STARTTLS.
func TestOfferedMechanisms(t *testing.T) {
	addr, _, _ := startC2S(t)
	c := xmpptest.Dial(t, addr, xmpptest.Options{})
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	if m := mechanisms(c.Features); slices.Contains(m, "PLAIN") || slices.ContainsFunc(m, func(s string) bool { return strings.HasPrefix(s, "SCRAM") }) {
		t.Errorf("before TLS: %v", m)
	}
	if err := c.StartTLS(); err != nil {
		t.Fatal(err)
	}
	if m := mechanisms(c.Features); !slices.Equal(m, []string{"PLAIN", "ANONYMOUS"}) {
		t.Errorf("after TLS: %v, want [PLAIN ANONYMOUS]", m)
	}
}

// TestAnonymousGuest: a guest gets a random JID and an account that is
// gone, with its data, after logout.
func TestAnonymousGuest(t *testing.T) {
	addr, _, store := startC2S(t)
	c := xmpptest.Dial(t, addr, xmpptest.Options{User: "ignored", Mech: "ANONYMOUS"})
	local, _, _ := strings.Cut(c.JID, "@")
	if !auth.IsGuest(local) {
		t.Fatalf("JID %q", c.JID)
	}
	ctx := context.Background()
	if ok, err := store.UserExists(ctx, "localhost", local); !ok || err != nil {
		t.Fatalf("guest account during the session: %v %v", ok, err)
	}
	if err := store.SetVCard(ctx, "localhost", local, []byte("<vCard xmlns='vcard-temp'/>")); err != nil {
		t.Fatal(err)
	}
	c.SendRaw("</stream:stream>")
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, err := store.UserExists(ctx, "localhost", local)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("guest account still there 5s after logout")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v, err := store.VCard(ctx, "localhost", local); err == nil && len(v) > 0 {
		t.Errorf("guest vCard survived: %q", v)
	}
	c2 := xmpptest.Dial(t, addr, xmpptest.Options{User: "ignored", Mech: "ANONYMOUS"})
	if c2.JID == c.JID {
		t.Error("two guests got the same JID")
	}
}
