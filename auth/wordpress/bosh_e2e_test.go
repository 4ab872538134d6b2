package wordpress_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/wordpress"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/bosh"
	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// boshEnv is a BOSH endpoint and, on the same server, a STARTTLS listener
// for a peer to chat with.
type boshEnv struct {
	url, host, tcp string
}

// startBOSH serves BOSH sessions whose host "localhost" logs in against
// wp, behind a trusted proxy on loopback, allowing pages from origins.
func startBOSH(t *testing.T, wp *wordpress.Backend, origins []string) boshEnv {
	t.Helper()
	srv, _ := newServer(t, wp)
	la, err := srv.Listen(context.Background(), c2s.ListenerConfig{Address: "127.0.0.1:0", Mode: c2s.ModeStartTLS, StartTLSRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := srv.NewTransport("bosh", c2s.ListenerConfig{Name: "bosh"})
	proxies, err := httpx.ParseProxies([]string{"127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := httptest.NewServer(bosh.New(ctx, tr, bosh.Config{Origins: origins, Proxies: proxies}, nil, nil))
	t.Cleanup(func() { hs.Close(); cancel() })
	return boshEnv{url: hs.URL + "/http-bind", host: strings.TrimPrefix(hs.URL, "http://"), tcp: la.String()}
}

// boshClient is a bare XEP-0124/0206 client that sends every request with
// the same HTTP headers, as a browser page sends its cookies and Origin.
type boshClient struct {
	t       *testing.T
	url     string
	header  http.Header
	sid     string
	rid     int64
	backlog []*stream.Element
}

// post sends one body and returns the HTTP status and, for 200, the
// response body.
func (c *boshClient) post(body string) (int, *stream.Element) {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("X-Forwarded-Proto", "https") // TLS at a trusted proxy
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	el, err := stream.DecodeElement(raw, stream.DefaultLimits(), "")
	if err != nil || !el.Is(bosh.NSBind, "body") {
		c.t.Fatalf("response %q: %v", raw, err)
	}
	if el.Attr("type") == "terminate" {
		c.t.Fatalf("session terminated: %s", el)
	}
	for e := range el.Elements() {
		c.backlog = append(c.backlog, e)
	}
	return resp.StatusCode, el
}

// create starts the session and returns the HTTP status of the request.
func (c *boshClient) create() int {
	c.t.Helper()
	c.rid = 4000
	code, b := c.post(fmt.Sprintf("<body xmlns='%s' xmlns:xmpp='%s' rid='%d' to='localhost' wait='1' hold='1' ver='1.6' xmpp:version='1.0'/>",
		bosh.NSBind, bosh.NSXBOSH, c.rid))
	if b != nil {
		if c.sid = b.Attr("sid"); c.sid == "" {
			c.t.Fatalf("creation response without sid: %s", b)
		}
	}
	return code
}

// send posts payload in the session, with extra body attributes.
func (c *boshClient) send(payload string, attrs ...string) {
	c.t.Helper()
	c.rid++
	if code, _ := c.post(fmt.Sprintf("<body xmlns='%s' xmlns:xmpp='%s' rid='%d' sid='%s' %s>%s</body>",
		bosh.NSBind, bosh.NSXBOSH, c.rid, c.sid, strings.Join(attrs, " "), payload)); code != http.StatusOK {
		c.t.Fatalf("status %d", code)
	}
}

// await returns the first element that matches, polling with empty
// requests (each held up to wait) until a deadline.
func (c *boshClient) await(what string, match func(*stream.Element) bool) *stream.Element {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for i, el := range c.backlog {
			if match(el) {
				c.backlog = c.backlog[i+1:]
				return el
			}
		}
		c.backlog = nil
		if time.Now().After(deadline) {
			c.t.Fatalf("no %s", what)
		}
		c.send("")
	}
}

// TestLoginOverBOSH logs in over BOSH with no secret in JavaScript: the
// wordpress_logged_in_* cookie of the session creation request is checked
// through SASL EXTERNAL, then the stream restarts (XEP-0206 §5), binds, and
// chats with a peer. A tampered cookie fails with not-authorized. A page
// from a foreign origin cannot log the visitor in with their cookie: it is
// refused outright, or, where "*" lets any page in, its cookies are not
// used and EXTERNAL is not offered.
func TestLoginOverBOSH(t *testing.T) {
	dsn, f := seed(t)
	wp := openWP(t, dsn, f, true)
	listed := startBOSH(t, wp, []string{"https://chat.example.com"})
	anyPage := startBOSH(t, wp, []string{"*"})

	modern := f.Modern()
	user := f.User(modern.UserID)
	local := strings.ToLower(wordpress.EscapeLocalpart(user.Login))
	var peer string
	var peerPass string
	for _, u := range f.Users {
		if u.ID != user.ID {
			peer, peerPass = wordpress.EscapeLocalpart(u.Login), u.Password
			break
		}
	}
	if peer == "" {
		t.Fatal("the fixtures have one user only")
	}
	tampered := modern.Value[:len(modern.Value)-4] + "0000"

	tests := []struct {
		name     string
		env      boshEnv
		origin   string // "same": the endpoint's own origin
		cookie   string
		status   int  // of the session creation request
		external bool // EXTERNAL offered
		ok       bool // and it succeeds
	}{
		{"cookie, no Origin", listed, "", modern.Value, http.StatusOK, true, true},
		{"cookie, same-origin page", listed, "same", modern.Value, http.StatusOK, true, true},
		{"cookie, configured page", listed, "https://chat.example.com", modern.Value, http.StatusOK, true, true},
		{"cookie, same-origin page under *", anyPage, "same", modern.Value, http.StatusOK, true, true},
		{"tampered cookie", listed, "", tampered, http.StatusOK, true, false},
		{"cookie, foreign page", listed, "https://evil.example", modern.Value, http.StatusForbidden, false, false},
		{"cookie, foreign page under *", anyPage, "https://evil.example", modern.Value, http.StatusOK, false, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{"Cookie": {wordpress.CookiePrefix + "0123abcd=" + tt.cookie}}
			switch tt.origin {
			case "":
			case "same":
				hdr.Set("Origin", "http://"+tt.env.host)
			default:
				hdr.Set("Origin", tt.origin)
			}
			c := &boshClient{t: t, url: tt.env.url, header: hdr}
			if code := c.create(); code != tt.status {
				t.Fatalf("session creation: status %d, want %d", code, tt.status)
			}
			if tt.status != http.StatusOK {
				return
			}
			feats := c.await("stream features", func(el *stream.Element) bool { return el.Is(stream.NSStream, "features") })
			if got := strings.Contains(feats.String(), ">EXTERNAL<"); got != tt.external {
				t.Fatalf("EXTERNAL offered: %v, want %v: %s", got, tt.external, feats)
			}
			if !tt.external {
				return
			}
			c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>")
			res := c.await("SASL result", func(el *stream.Element) bool {
				return el.Is(stream.NSSASL, "success") || el.Is(stream.NSSASL, "failure")
			})
			switch {
			case tt.ok && !res.Is(stream.NSSASL, "success"):
				t.Fatalf("want success, got %s", res)
			case !tt.ok && (!res.Is(stream.NSSASL, "failure") || res.Child(stream.NSSASL, "not-authorized") == nil):
				t.Fatalf("want not-authorized, got %s", res)
			}
			if !tt.ok {
				return
			}
			c.send("", "xmpp:restart='true' to='localhost'")
			feats = c.await("features after restart", func(el *stream.Element) bool { return el.Is(stream.NSStream, "features") })
			if !strings.Contains(feats.String(), "urn:ietf:params:xml:ns:xmpp-bind") {
				t.Fatalf("no bind after restart: %s", feats)
			}
			// Each case keeps its session to the end of the test: its own
			// resource avoids a conflict with the earlier ones.
			resource := fmt.Sprintf("web%d", i)
			c.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource + "</resource></bind></iq>")
			r := c.await("bind result", func(el *stream.Element) bool { return el.Is(stream.NSClient, "iq") && el.Attr("id") == "b1" })
			jid := local + "@localhost/" + resource
			if r.Attr("type") != "result" || !strings.Contains(r.String(), ">"+jid+"<") {
				t.Fatalf("bind: %s", r)
			}

			p := xmpptest.Dial(t, tt.env.tcp, xmpptest.Options{User: peer, Password: peerPass, Mech: "PLAIN", Resource: fmt.Sprintf("desk%d", i)})
			defer p.Close()
			p.Send("<message to='" + jid + "' type='chat' id='m1'><body>hello over bosh</body></message>")
			m := c.await("message from the peer", func(el *stream.Element) bool { return el.Is(stream.NSClient, "message") })
			if m.ChildText(stream.NSClient, "body") != "hello over bosh" || m.Attr("from") != p.JID {
				t.Fatalf("got %s, want the peer's message from %s", m, p.JID)
			}
			c.send("<message xmlns='jabber:client' to='" + p.JID + "' type='chat' id='m2'><body>hello back</body></message>")
			back := p.Expect(func(el *stream.Element) bool { return el.Local == "message" })
			if back.ChildText(stream.NSClient, "body") != "hello back" || back.Attr("from") != jid {
				t.Fatalf("peer got %s, want the reply from %s", back, jid)
			}
		})
	}
}
