// Package servertest runs an in-process Meerkat core for module tests: a
// router, the c2s listener on 127.0.0.1:0 (STARTTLS), SCRAM auth over a
// SQLite (or PostgreSQL) store with a few users, and the modules under
// test, started through module.Set as the server binary does. Tests speak XMPP to it over
// real sockets with internal/xmpptest.
//
// It also holds what module tests share besides the server: stanza
// matchers and checks (xmpp.go, stanza.go), in-memory stores
// (memroster.go), and the checks of configuration examples, READMEs and
// metrics (examples.go, metrics.go).
package servertest

import (
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/internal/selfsigned"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/postgres"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
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
	// DB is the SQLite file to use; default a new one in t.TempDir().
	// Tests of a restart start a second server on the first one's file.
	DB string
	// PostgresDSN, when set, runs the server on that PostgreSQL database
	// (from internal/testpg) instead of SQLite; DB is then ignored.
	PostgresDSN string
	// Auth, when set, configures authentication over the store (for tests
	// of other backends than internal); FakeSaltSecret is filled in if
	// empty. Default: internal SCRAM and PLAIN over the store.
	Auth func(db storage.Store) auth.Config
}

// Server is a running test server.
type Server struct {
	Addr     string               // the STARTTLS listener, host:port
	Router   *router.Router       // routes between sessions and modules
	Store    storage.Store        // the SQLite store behind auth and the modules
	C2S      *c2s.Server          // the client listener
	Disco    *module.Disco        // what the modules advertise
	Registry *prometheus.Registry // where the modules register their metrics

	stop func()
}

// Stop shuts the server down before the test ends (a restart test); it
// runs once, whether called or left to cleanup.
func (s *Server) Stop() { s.stop() }

// Start runs a server for the test and stops it at cleanup, failing the
// test if a module does not stop cleanly.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	path := o.DB
	if path == "" {
		path = filepath.Join(t.TempDir(), "meerkat.db")
	}
	var db storage.Store
	var err error
	if o.PostgresDSN != "" {
		db, err = postgres.Open(ctx, o.PostgresDSN, postgres.Options{AutoMigrate: true})
	} else {
		db, err = sqlite.Open(ctx, path, sqlite.Options{AutoMigrate: true})
	}
	if err != nil {
		t.Fatal(err)
	}
	var stops []func()
	stops = append(stops, func() { db.Close() })
	users := o.Users
	if users == nil {
		users = []string{"alice", "bob", "carol"}
	}
	creds, err := auth.DeriveCredentials(Password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := db.CreateUser(ctx, Host, u, creds); err != nil && !((o.DB != "" || o.PostgresDSN != "") && errors.Is(err, storage.ErrExists)) {
			t.Fatal(err)
		}
	}
	certPEM, keyPEM, err := selfsigned.Generate([]string{Host}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	r := router.New(router.Options{Hosts: []string{Host}, Users: db})
	reg := prometheus.NewRegistry()
	set := module.NewSet(module.Deps{Router: r, Store: db, Registerer: reg, Hosts: []string{Host}})
	var mods []module.Module
	if o.Modules != nil {
		mods = o.Modules(t)
	}
	if err := set.Start(ctx, mods); err != nil {
		db.Close()
		t.Fatal(err)
	}
	stops = append(stops, func() {
		if err := within5s(set.Stop); err != nil {
			t.Errorf("stopping modules: %v", err)
		}
	})
	var ac auth.Config
	if o.Auth != nil {
		ac = o.Auth(db)
	}
	if ac.FakeSaltSecret == nil {
		ac.FakeSaltSecret = []byte("test secret for fake salts......")
	}
	a := auth.NewServer(ac, db)
	srv := c2s.NewServer(c2s.Deps{Router: r, Auth: a, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	addr, err := srv.Listen(ctx, c2s.ListenerConfig{Address: "127.0.0.1:0", Mode: c2s.ModeStartTLS,
		StartTLSRequired: true, ReplaceOnConflict: true})
	stops = append(stops, func() { within5s(srv.Shutdown) })
	var once sync.Once
	stopAll := func() {
		once.Do(func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		})
	}
	t.Cleanup(stopAll)
	if err != nil {
		t.Fatal(err)
	}
	return &Server{Addr: addr.String(), Router: r, Store: db, C2S: srv, Disco: set.Disco(), Registry: reg, stop: stopAll}
}

// StartModules is Start with the default users and mods.
func StartModules(t testing.TB, mods ...module.Module) *Server {
	t.Helper()
	return Start(t, Options{Modules: func(testing.TB) []module.Module { return mods }})
}

// within5s runs a shutdown step with a five-second deadline.
func within5s(stop func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return stop(ctx)
}

// Login connects user over STARTTLS with SCRAM-SHA-256 and binds resource
// ("" lets the server pick one).
func (s *Server) Login(t testing.TB, user, resource string) *xmpptest.Client {
	t.Helper()
	return xmpptest.Dial(t, s.Addr, xmpptest.Options{User: user, Password: Password, Mech: "SCRAM-SHA-256", Resource: resource})
}
