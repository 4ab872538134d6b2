package wordpress_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/meerkat-xmpp/meerkat/auth/wordpress"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
	ws "github.com/meerkat-xmpp/meerkat/c2s/websocket"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// wsClient is a bare RFC 7395 client: one element per message.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

func (w *wsClient) send(s string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *wsClient) next() *stream.Element {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		w.t.Fatalf("reading: %v", err)
	}
	el, err := stream.DecodeElement(b, stream.DefaultLimits(), "")
	if err != nil {
		w.t.Fatalf("decoding %q: %v", b, err)
	}
	return el
}

// open sends <open/> and returns the stream features.
func (w *wsClient) open() *stream.Element {
	w.t.Helper()
	w.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>")
	if o := w.next(); !o.Is(stream.NSFraming, "open") {
		w.t.Fatalf("want <open/>, got %s", o)
	}
	return w.next()
}

// TestLoginOverWebSocket logs in over WebSocket on the same site as the
// WordPress install: with the logged-in cookie as the PLAIN password, with
// the account password, and with no secret in JavaScript at all, through
// the wordpress_logged_in_* cookie of the upgrade request (SASL EXTERNAL).
// A tampered cookie, in either place, fails with not-authorized.
func TestLoginOverWebSocket(t *testing.T) {
	dsn, f := seed(t)
	wp := openWP(t, dsn, f, true)
	url := startWS(t, wp, nil)

	modern := f.Modern()
	user := f.User(modern.UserID)
	local := wordpress.EscapeLocalpart(user.Login)
	tampered := modern.Value[:len(modern.Value)-4] + "0000"
	cookieHeader := func(v string) http.Header {
		return http.Header{"Cookie": {wordpress.CookiePrefix + "0123abcd=" + v}}
	}
	tests := []struct {
		name   string
		header http.Header
		mech   string
		secret string
		ok     bool
	}{
		{"cookie as PLAIN password", nil, "PLAIN", modern.Value, true},
		{"account password", nil, "PLAIN", user.Password, true},
		{"HTTP cookie through EXTERNAL", cookieHeader(modern.Value), "EXTERNAL", "", true},
		{"tampered cookie as password", nil, "PLAIN", tampered, false},
		{"tampered HTTP cookie", cookieHeader(tampered), "EXTERNAL", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{"X-Forwarded-Proto": {"https"}} // TLS at a trusted proxy
			for k, v := range tt.header {
				hdr[k] = v
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"xmpp"}, HTTPHeader: hdr})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			w := &wsClient{t: t, c: c}
			feats := w.open()
			if !strings.Contains(feats.String(), ">"+tt.mech+"<") {
				t.Fatalf("%s not offered: %s", tt.mech, feats)
			}
			payload := "="
			if tt.mech == "PLAIN" {
				payload = base64.StdEncoding.EncodeToString([]byte("\x00" + local + "\x00" + tt.secret))
			}
			w.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + tt.mech + "'>" + payload + "</auth>")
			res := w.next()
			switch {
			case tt.ok && !res.Is(stream.NSSASL, "success"):
				t.Fatalf("want success, got %s", res)
			case !tt.ok && (!res.Is(stream.NSSASL, "failure") || res.Child(stream.NSSASL, "not-authorized") == nil):
				t.Fatalf("want not-authorized, got %s", res)
			}
			if !tt.ok {
				return
			}
			w.open()
			w.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>")
			r := w.next()
			if r.Attr("type") != "result" || !strings.Contains(r.String(), ">"+strings.ToLower(local)+"@localhost/web<") {
				t.Fatalf("bind: %s", r)
			}
		})
	}
}

// startWS serves WebSocket sessions whose host "localhost" logs in against
// wp, behind a trusted proxy on loopback, allowing pages from origins.
func startWS(t *testing.T, wp *wordpress.Backend, origins []string) string {
	t.Helper()
	srv, _ := newServer(t, wp)
	tr := srv.NewTransport("websocket", c2s.ListenerConfig{Name: "ws"})
	proxies, err := httpx.ParseProxies([]string{"127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ws.New(tr, ws.Config{Origins: origins, Proxies: proxies}, nil))
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/xmpp-websocket"
}

// TestWebSocketForeignPage: a page from a foreign origin cannot log the
// visitor in with their WordPress cookie. Without "*" it is refused (403);
// with "*" it may connect, but its cookies are not used, so EXTERNAL is
// not offered.
func TestWebSocketForeignPage(t *testing.T) {
	dsn, f := seed(t)
	wp := openWP(t, dsn, f, true)
	var cookie string
	for _, c := range f.Cookies {
		if c.ValidFor != "" {
			cookie = wordpress.CookiePrefix + "0123abcd=" + c.Value
			break
		}
	}
	tests := []struct {
		name     string
		origins  []string
		origin   string
		dial     bool // the upgrade succeeds
		external bool
	}{
		{"configured page", []string{"https://chat.example.com"}, "https://chat.example.com", true, true},
		{"foreign page", []string{"https://chat.example.com"}, "https://evil.example", false, false},
		{"foreign page under *", []string{"*"}, "https://evil.example", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := startWS(t, wp, tt.origins)
			hdr := http.Header{"X-Forwarded-Proto": {"https"}, "Cookie": {cookie}, "Origin": {tt.origin}}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"xmpp"}, HTTPHeader: hdr})
			if !tt.dial {
				if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
					t.Fatalf("dial: err %v, response %v; want 403", err, resp)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			w := &wsClient{t: t, c: c}
			feats := w.open()
			if got := strings.Contains(feats.String(), ">EXTERNAL<"); got != tt.external {
				t.Fatalf("EXTERNAL offered: %v, want %v: %s", got, tt.external, feats)
			}
		})
	}
}
