package websocket_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
	ws "github.com/meerkat-xmpp/meerkat/c2s/websocket"
	"github.com/meerkat-xmpp/meerkat/internal/selfsigned"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const password = "correct horse battery staple"

type env struct {
	url     string // ws://127.0.0.1:port/xmpp-websocket
	tcp     string // STARTTLS c2s address
	srv     *c2s.Server
	router  *router.Router
	metrics *prometheus.Registry
}

func start(t testing.TB, cfg ws.Config) *env { return startParking(t, cfg, 0) }

// startParking starts a server whose WebSocket sessions park after park of
// silence (0: never).
func startParking(t testing.TB, cfg ws.Config, park time.Duration) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		creds, _ := auth.DeriveCredentials(password, 4096)
		if err := store.CreateUser(ctx, "localhost", u, creds); err != nil {
			t.Fatal(err)
		}
	}
	certPEM, keyPEM, _ := selfsigned.Generate([]string{"localhost"}, time.Hour)
	cert, _ := tls.X509KeyPair(certPEM, keyPEM)
	r := router.New(router.Options{Hosts: []string{"localhost"}, Users: store})
	a := auth.NewServer(auth.Config{FakeSaltSecret: []byte("test secret for fake salts......")}, store)
	reg := prometheus.NewRegistry()
	srv := c2s.NewServer(c2s.Deps{Router: r, Auth: a, TLS: &tls.Config{Certificates: []tls.Certificate{cert}},
		Metrics: c2s.NewMetrics(reg)})
	addr, err := srv.Listen(ctx, c2s.ListenerConfig{Address: "127.0.0.1:0", ReplaceOnConflict: true})
	if err != nil {
		t.Fatal(err)
	}
	lim := stream.DefaultLimits()
	lim.MaxStanzaBytes = 8 << 10
	tr := srv.NewTransport("websocket", c2s.ListenerConfig{Name: "ws", Limits: lim, ReplaceOnConflict: true, ParkAfter: park})
	cfg.Limits = lim
	hs := httptest.NewServer(ws.New(tr, cfg, nil))
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		srv.Shutdown(sctx)
		hs.Close()
		cancel()
		store.Close()
	})
	return &env{url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/xmpp-websocket", tcp: addr.String(),
		srv: srv, router: r, metrics: reg}
}

// client is a bare RFC 7395 client: one element per message.
type client struct {
	t   testing.TB
	c   *websocket.Conn
	jid string
	res string // resource to bind; "web" if empty
}

func dial(t testing.TB, url string, hdr http.Header) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"xmpp"}, HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return &client{t: t, c: c}
}

func (c *client) send(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) next() (*stream.Element, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.c.Read(ctx)
	if err != nil {
		return nil, err
	}
	// Every message must be one element that stands alone (namespaces declared).
	return stream.DecodeElement(b, stream.DefaultLimits(), "")
}

func (c *client) expect(match func(*stream.Element) bool) *stream.Element {
	c.t.Helper()
	for {
		el, err := c.next()
		if err != nil {
			c.t.Fatalf("waiting for an element: %v", err)
		}
		if match(el) {
			return el
		}
	}
}

func (c *client) open() *stream.Element {
	c.t.Helper()
	c.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>")
	o := c.expect(func(el *stream.Element) bool { return true })
	if !o.Is(stream.NSFraming, "open") || o.Attr("from") != "localhost" || o.Attr("id") == "" {
		c.t.Fatalf("want <open/>, got %s", o)
	}
	f := c.expect(func(el *stream.Element) bool { return true })
	if !f.Is(stream.NSStream, "features") {
		c.t.Fatalf("want features, got %s", f)
	}
	return f
}

func (c *client) loginPlain(user string) {
	c.t.Helper()
	f := c.open()
	if !strings.Contains(f.String(), ">PLAIN<") {
		c.t.Fatalf("PLAIN not offered: %s", f)
	}
	c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
		base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+password)) + "</auth>")
	if el := c.expect(func(*stream.Element) bool { return true }); !el.Is(stream.NSSASL, "success") {
		c.t.Fatalf("want success, got %s", el)
	}
	c.open()
	if c.res == "" {
		c.res = "web"
	}
	c.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + c.res + "</resource></bind></iq>")
	r := c.expect(func(el *stream.Element) bool { return el.Local == "iq" })
	if !r.Is(stream.NSClient, "iq") || r.Attr("type") != "result" {
		c.t.Fatalf("bind: %s", r)
	}
	c.jid = user + "@localhost/" + c.res
}

func proxied() http.Header { return http.Header{"X-Forwarded-Proto": {"https"}} }

func trustLoopback(t testing.TB) httpx.Proxies {
	p, err := httpx.ParseProxies([]string{"127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestChatWithTCP logs in over WebSocket (TLS vouched for by a trusted
// proxy) and chats with a TCP client both ways.
func TestChatWithTCP(t *testing.T) {
	e := start(t, ws.Config{Proxies: trustLoopback(t)})
	w := dial(t, e.url, proxied())
	w.loginPlain("alice")
	w.send("<presence xmlns='jabber:client'/>")
	tcp := xmpptest.Dial(t, e.tcp, xmpptest.Options{User: "bob", Password: password, Mech: "SCRAM-SHA-256", Resource: "desk"})
	tcp.Send("<message to='alice@localhost/web' type='chat' id='1'><body>hi from tcp</body></message>")
	m := w.expect(func(el *stream.Element) bool { return el.Local == "message" })
	if m.Space != stream.NSClient || m.ChildText(stream.NSClient, "body") != "hi from tcp" || m.Attr("from") != "bob@localhost/desk" {
		t.Fatalf("got %s", m)
	}
	w.send("<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='2'><body>hi from the web</body></message>")
	tcp.Expect(func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("from") == "alice@localhost/web" && el.ChildText(stream.NSClient, "body") == "hi from the web"
	})
	w.send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
	if el := w.expect(func(*stream.Element) bool { return true }); !el.Is(stream.NSFraming, "close") {
		t.Fatalf("want <close/>, got %s", el)
	}
}

// TestPlainNeedsTLS: without TLS (and an untrusted forwarded header) PLAIN
// is not offered, as on TCP.
func TestPlainNeedsTLS(t *testing.T) {
	e := start(t, ws.Config{})
	w := dial(t, e.url, proxied())
	f := w.open()
	if strings.Contains(f.String(), ">PLAIN<") || !strings.Contains(f.String(), "SCRAM-SHA-256") {
		t.Fatalf("features: %s", f)
	}
}

// TestOversizedMessage: a message over the stanza limit ends that
// connection with policy-violation (stream error and close code); another
// session goes on.
func TestOversizedMessage(t *testing.T) {
	e := start(t, ws.Config{Proxies: trustLoopback(t)})
	other := dial(t, e.url, proxied())
	other.loginPlain("bob")
	w := dial(t, e.url, proxied())
	w.loginPlain("alice")
	w.send("<message xmlns='jabber:client' to='bob@localhost/web'><body>" + strings.Repeat("x", 9<<10) + "</body></message>")
	se := w.expect(func(*stream.Element) bool { return true })
	if !se.Is(stream.NSStream, "error") || se.Child(stream.NSStreamErr, "policy-violation") == nil {
		t.Fatalf("want policy-violation, got %s", se)
	}
	if el := w.expect(func(*stream.Element) bool { return true }); !el.Is(stream.NSFraming, "close") {
		t.Fatalf("want <close/>, got %s", el)
	}
	_, err := w.next()
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("close status: %v", err)
	}
	other.send("<iq xmlns='jabber:client' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>")
	other.expect(func(el *stream.Element) bool { return el.Local == "iq" && el.Attr("id") == "p" })
}

func TestBadInput(t *testing.T) {
	tests := []struct{ name, send, cond string }{
		{"wrong open namespace", "<open xmlns='urn:example' to='localhost' version='1.0'/>", "invalid-namespace"},
		{"unknown host", "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='nowhere' version='1.0'/>", "host-unknown"},
		{"not xml", "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'", "not-well-formed"},
	}
	e := start(t, ws.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := dial(t, e.url, nil)
			w.send(tt.send)
			se := w.expect(func(el *stream.Element) bool { return el.Is(stream.NSStream, "error") })
			if se.Child(stream.NSStreamErr, tt.cond) == nil {
				t.Fatalf("want %s, got %s", tt.cond, se)
			}
		})
	}
}

func TestSubprotocolRequired(t *testing.T) {
	e := start(t, ws.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, _, err = c.Read(ctx)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("want policy violation close, got %v", err)
	}
}

func TestSeeOtherURI(t *testing.T) {
	e := start(t, ws.Config{SeeOtherURI: "wss://other.example/xmpp-websocket"})
	w := dial(t, e.url, nil)
	w.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>")
	w.expect(func(el *stream.Element) bool { return el.Is(stream.NSFraming, "open") })
	cl := w.expect(func(*stream.Element) bool { return true })
	if !cl.Is(stream.NSFraming, "close") || cl.Attr("see-other-uri") != "wss://other.example/xmpp-websocket" {
		t.Fatalf("got %s", cl)
	}
}

// TestPingFindsDeadPeer: a peer that stops answering pings is dropped.
func TestPingFindsDeadPeer(t *testing.T) {
	e := start(t, ws.Config{Proxies: trustLoopback(t), PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	w := dial(t, e.url, proxied())
	w.loginPlain("alice")
	// Not reading: coder/websocket answers pings only while a Read runs, so
	// this client is as good as dead. The server must cut it.
	time.Sleep(1500 * time.Millisecond)
	if el, err := w.next(); err == nil {
		t.Fatalf("connection still open, got %s", el)
	}
}

// TestOrigins: a page from another origin may connect only when its origin
// is configured.
func TestOrigins(t *testing.T) {
	e := start(t, ws.Config{Origins: []string{"https://chat.example.com"}})
	for _, tt := range []struct {
		origin string
		ok     bool
	}{
		{"https://chat.example.com", true},
		{"https://evil.example", false},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, _, err := websocket.Dial(ctx, e.url, &websocket.DialOptions{Subprotocols: []string{"xmpp"},
			HTTPHeader: http.Header{"Origin": {tt.origin}}})
		cancel()
		if (err == nil) != tt.ok {
			t.Errorf("origin %s: dial error %v, want ok=%v", tt.origin, err, tt.ok)
		}
		if c != nil {
			c.CloseNow()
		}
	}
}
