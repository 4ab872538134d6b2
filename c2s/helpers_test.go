package c2s_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/internal/selfsigned"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// testServer is an in-process Meerkat core on 127.0.0.1 ports.
type testServer struct {
	starttls, direct, plain string
	srv                     *c2s.Server
	router                  *router.Router
	metrics                 *prometheus.Registry
}

const testPassword = "correct horse battery staple"

type serverOpts struct {
	limits  stream.Limits
	idle    time.Duration
	queue   int
	refuse  bool
	handsh  time.Duration
	noUsers bool
	park    time.Duration
}

func startServer(t *testing.T, o serverOpts) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "meerkat.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob", "carol"} {
		creds, err := auth.DeriveCredentials(testPassword, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.CreateUser(ctx, "localhost", u, creds); err != nil {
			t.Fatal(err)
		}
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
	a := auth.NewServer(auth.Config{FakeSaltSecret: []byte("test secret for fake salts......")}, store)
	reg := prometheus.NewRegistry()
	srv := c2s.NewServer(c2s.Deps{Router: r, Auth: a, TLS: &tls.Config{Certificates: []tls.Certificate{cert}},
		Metrics: c2s.NewMetrics(reg)})
	ts := &testServer{srv: srv, router: r, metrics: reg}
	base := c2s.ListenerConfig{
		Address: "127.0.0.1:0", StartTLSRequired: true, Limits: o.limits, IdleTimeout: o.idle,
		OutboundQueueBytes: o.queue, ReplaceOnConflict: !o.refuse, HandshakeTimeout: o.handsh, LegacySession: true,
		ParkAfter: o.park,
	}
	for _, m := range []struct {
		mode c2s.Mode
		addr *string
	}{{c2s.ModeStartTLS, &ts.starttls}, {c2s.ModeDirect, &ts.direct}, {c2s.ModePlain, &ts.plain}} {
		lc := base
		lc.Mode = m.mode
		addr, err := srv.Listen(ctx, lc)
		if err != nil {
			t.Fatal(err)
		}
		*m.addr = addr.String()
	}
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Shutdown(sctx)
		cancel()
		store.Close()
	})
	return ts
}

func (ts *testServer) login(t *testing.T, user string, o xmpptest.Options) *xmpptest.Client {
	t.Helper()
	o.User = user
	if o.Password == "" {
		o.Password = testPassword
	}
	if o.Mech == "" {
		o.Mech = "SCRAM-SHA-256"
	}
	addr := ts.starttls
	if o.Direct {
		addr = ts.direct
	}
	return xmpptest.Dial(t, addr, o)
}

// isMessageFrom matches a chat message from the given full JID with body.
func isMessageFrom(from, body string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("from") == from && el.ChildText(stream.NSClient, "body") == body
	}
}

func msg(to, body string) string {
	return fmt.Sprintf("<message to='%s' type='chat' id='m%d'><body>%s</body></message>", to, len(body), body)
}

func bare(full string) string { b, _, _ := strings.Cut(full, "/"); return b }

func isIQ(id string) func(*stream.Element) bool {
	return func(el *stream.Element) bool { return el.Local == "iq" && el.Attr("id") == id }
}

func errorCondition(el *stream.Element) string {
	e := el.Child(stream.NSClient, "error")
	for c := range e.Elements() {
		if c.Space == stream.NSStanzaErr && c.Local != "text" {
			return c.Local
		}
	}
	return ""
}

// gauge reads the value of the unlabelled gauge called name.
func (ts *testServer) gauge(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := ts.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
