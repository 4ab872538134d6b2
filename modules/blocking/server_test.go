package blocking_test

// This file is one copy of a small in-process server for this package's
// end-to-end tests (the same copy lives in each of modules/offline,
// blocking, register, last and ping, so that no test depends on another
// package's helpers while they change).

import (
	"context"
	"crypto/tls"
	"path/filepath"
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
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// password is every test account's password.
const password = "correct horse battery staple"

// testServer is a router, SCRAM auth over SQLite, the modules under test
// and a STARTTLS c2s listener on 127.0.0.1:0.
type testServer struct {
	addr     string
	host     string
	router   *router.Router
	store    storage.Store
	disco    *module.Disco
	registry *prometheus.Registry
	c2s      *c2s.Server
}

// startServer runs a server with the users alice, bob and carol and mods,
// and stops it at cleanup.
func startServer(t *testing.T, mods ...module.Module) *testServer {
	t.Helper()
	const host = "localhost"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meerkat.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	creds, err := auth.DeriveCredentials(password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		if err := db.CreateUser(ctx, host, u, creds); err != nil {
			t.Fatal(err)
		}
	}
	certPEM, keyPEM, err := selfsigned.Generate([]string{host}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	r := router.New(router.Options{Hosts: []string{host}, Users: db})
	reg := prometheus.NewRegistry()
	set := module.NewSet(module.Deps{Router: r, Store: db, Registerer: reg, Hosts: []string{host}})
	if err := set.Start(ctx, mods); err != nil {
		t.Fatal(err)
	}
	a := auth.NewServer(auth.Config{FakeSaltSecret: []byte("test secret for fake salts......")}, db)
	srv := c2s.NewServer(c2s.Deps{Router: r, Auth: a, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	addr, err := srv.Listen(ctx, c2s.ListenerConfig{
		Address: "127.0.0.1:0", Mode: c2s.ModeStartTLS, StartTLSRequired: true, ReplaceOnConflict: true,
	})
	if err != nil {
		set.Stop(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Shutdown(sctx)
		if err := set.Stop(sctx); err != nil {
			t.Errorf("stopping modules: %v", err)
		}
	})
	return &testServer{addr: addr.String(), host: host, router: r, store: db, disco: set.Disco(), registry: reg, c2s: srv}
}

// login connects user over STARTTLS with SCRAM-SHA-256 and binds resource
// ("" lets the server pick one).
func (s *testServer) login(t *testing.T, user, resource string) *xmpptest.Client {
	t.Helper()
	return xmpptest.Dial(t, s.addr, xmpptest.Options{User: user, Password: password, Mech: "SCRAM-SHA-256", Resource: resource})
}

// withID matches any stanza with the given id.
func withID(id string) func(*stream.Element) bool {
	return func(el *stream.Element) bool { return el.Attr("id") == id }
}

// exchange sends a stanza and returns the first stanza with the same id.
func exchange(c *xmpptest.Client, id, send string) *stream.Element {
	c.Send(send)
	return c.Expect(withID(id))
}

// errorCondition returns the defined condition of a stanza error, or "".
func errorCondition(el *stream.Element) string {
	for c := range el.Child(el.Space, "error").Elements() {
		if c.Space == stream.NSStanzaErr && c.Local != "text" {
			return c.Local
		}
	}
	return ""
}

// checkResult fails unless el is an IQ result; it returns the payload.
func checkResult(t *testing.T, el *stream.Element) *stream.Element {
	t.Helper()
	if el.Attr("type") != "result" {
		t.Fatalf("want an IQ result, got %s", el)
	}
	return el.FirstChild()
}

// checkError fails unless el is an error stanza with condition cond.
func checkError(t *testing.T, el *stream.Element, cond string) {
	t.Helper()
	if el.Attr("type") != "error" || errorCondition(el) != cond {
		t.Fatalf("want a %s error, got %s", cond, el)
	}
}

// counter returns the value of the counter name whose labels include
// labels (0 when there is none).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// syncWith waits until the server has handled everything c sent before:
// it sends an IQ nobody answers but the router (service-unavailable) and
// waits for that reply, which comes after c's earlier stanzas were routed.
func syncWith(t *testing.T, c *xmpptest.Client) {
	t.Helper()
	c.Send("<iq type='get' id='sync' to='localhost'><query xmlns='urn:example:sync'/></iq>")
	c.Expect(withID("sync"))
}
