// Package servertest runs an in-process Meerkat core for module tests: a
// router, the c2s listener on 127.0.0.1:0 (STARTTLS), SCRAM auth over a
// SQLite store with a few users, and the modules under test, started
// through module.Set as the server binary does. Tests speak XMPP to it over
// real sockets with internal/xmpptest.
package servertest

import (
	"context"
	"crypto/tls"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/internal/selfsigned"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Password is every test user's password.
const Password = "correct horse battery staple"

// Host is the served domain.
const Host = "localhost"

// Options configure Start.
type Options struct {
	// Users are created before the server starts; default alice, bob, carol.
	Users []string
	// Modules returns the modules to start, in order; called once.
	Modules func(t testing.TB) []module.Module
}

// Server is a running test server.
type Server struct {
	Addr   string // the STARTTLS listener
	Router *router.Router
	Store  storage.Store
	C2S    *c2s.Server
}

// Start runs a server for the test and stops it at cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meerkat.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	users := o.Users
	if users == nil {
		users = []string{"alice", "bob", "carol"}
	}
	creds, err := auth.DeriveCredentials(Password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := db.CreateUser(ctx, Host, u, creds); err != nil {
			t.Fatal(err)
		}
	}
	var store storage.Store = db
	certPEM, keyPEM, err := selfsigned.Generate([]string{Host}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	r := router.New(router.Options{Hosts: []string{Host}, Users: db})
	set := module.NewSet(module.Deps{Router: r, Store: store, Hosts: []string{Host}})
	if o.Modules != nil {
		if err := set.Start(ctx, o.Modules(t)); err != nil {
			t.Fatal(err)
		}
	}
	a := auth.NewServer(auth.Config{FakeSaltSecret: []byte("test secret for fake salts......")}, db)
	srv := c2s.NewServer(c2s.Deps{Router: r, Auth: a, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	addr, err := srv.Listen(ctx, c2s.ListenerConfig{Address: "127.0.0.1:0", Mode: c2s.ModeStartTLS,
		StartTLSRequired: true, ReplaceOnConflict: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Shutdown(sctx)
		set.Stop(sctx)
		cancel()
		db.Close()
	})
	return &Server{Addr: addr.String(), Router: r, Store: store, C2S: srv}
}

// Login connects user with the given resource ("" lets the server pick).
func (s *Server) Login(t testing.TB, user, resource string) *xmpptest.Client {
	t.Helper()
	return xmpptest.Dial(t, s.Addr, xmpptest.Options{User: user, Password: Password, Mech: "SCRAM-SHA-256", Resource: resource})
}

// Bare returns the bare part of a JID string.
func Bare(j string) string { b, _, _ := strings.Cut(j, "/"); return b }

// Presence matches a presence stanza of type typ ("" for available) from
// the JID from.
func Presence(from, typ string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "presence" && el.Attr("from") == from && el.Attr("type") == typ
	}
}

// IQ matches the IQ with the given id.
func IQ(id string) func(*stream.Element) bool {
	return func(el *stream.Element) bool { return el.Local == "iq" && el.Attr("id") == id }
}

// ErrorCondition returns the defined condition of a stanza error, or "".
func ErrorCondition(el *stream.Element) string {
	for c := range el.Child(el.Space, "error").Elements() {
		if c.Space == stream.NSStanzaErr && c.Local != "text" {
			return c.Local
		}
	}
	return ""
}
