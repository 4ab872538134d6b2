package websocket_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/c2s"
	ws "github.com/meerkat-xmpp/meerkat/c2s/websocket"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const parkedGauge = "meerkat_c2s_parked_sessions"

// gauge reads the value of the unlabelled gauge called name.
func (e *env) gauge(t testing.TB, name string) float64 {
	t.Helper()
	mfs, err := e.metrics.Gather()
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

func (e *env) waitParked(t testing.TB, n float64) {
	t.Helper()
	waitFor(t, "parked sessions", func() bool { return e.gauge(t, parkedGauge) == n })
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isMessageFrom(from, body string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("from") == from && el.ChildText(stream.NSClient, "body") == body
	}
}

// TestParkedSessionChat: a WebSocket session parked with no reader
// goroutine receives messages and, woken by its own input, answers.
func TestParkedSessionChat(t *testing.T) {
	e := startParking(t, ws.Config{Proxies: trustLoopback(t)}, 50*time.Millisecond)
	w := dial(t, e.url, proxied())
	w.loginPlain("alice")
	tcp := xmpptest.Dial(t, e.tcp, xmpptest.Options{User: "bob", Password: password, Mech: "SCRAM-SHA-256", Resource: "desk"})
	for i, body := range []string{"one", "two", "three"} {
		e.waitParked(t, 1) // the TCP listener does not park
		tcp.Send("<message to='alice@localhost/web' type='chat'><body>" + body + "</body></message>")
		w.expect(isMessageFrom("bob@localhost/desk", body))
		w.send("<message xmlns='jabber:client' to='bob@localhost/desk' type='chat'><body>" + body + " back</body></message>")
		tcp.Expect(isMessageFrom("alice@localhost/web", body+" back"))
		if i == 1 {
			time.Sleep(150 * time.Millisecond) // parked a while
		}
	}
	e.waitParked(t, 1)
	// An IQ round trip from a parked session: the reply comes on the
	// goroutine the input woke.
	w.send("<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
	w.expect(func(el *stream.Element) bool { return el.Local == "iq" && el.Attr("id") == "p1" })
}

// TestParkedSessionPings: a parked session is still pinged. A peer that
// answers stays (and parks again); one that does not is cut and its session
// ends.
func TestParkedSessionPings(t *testing.T) {
	e := startParking(t, ws.Config{Proxies: trustLoopback(t), PingInterval: 150 * time.Millisecond,
		PingTimeout: 300 * time.Millisecond}, 50*time.Millisecond)
	live := dial(t, e.url, proxied())
	live.res = "live"
	live.loginPlain("alice")
	msgs := live.background()
	dead := dial(t, e.url, proxied())
	dead.res = "dead"
	dead.loginPlain("alice") // and never reads again: coder/websocket answers pings only in Read
	e.waitParked(t, 2)
	waitFor(t, "the silent peer cut", func() bool { return e.router.SessionCount() == 1 })
	e.waitParked(t, 1)
	// Several ping rounds later the live one is still there, parked.
	time.Sleep(time.Second)
	if n := e.router.SessionCount(); n != 1 {
		t.Fatalf("%d sessions, want the live one", n)
	}
	e.waitParked(t, 1)
	tcp := xmpptest.Dial(t, e.tcp, xmpptest.Options{User: "bob", Password: password, Mech: "SCRAM-SHA-256", Resource: "desk"})
	tcp.Send("<message to='alice@localhost/live' type='chat'><body>still there?</body></message>")
	select {
	case el := <-msgs:
		if !isMessageFrom("bob@localhost/desk", "still there?")(el) {
			t.Fatalf("got %s", el)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pinged session did not get the message")
	}
}

// background reads messages on a goroutine (which also answers pings) and
// passes each element on.
func (c *client) background() <-chan *stream.Element {
	ch := make(chan *stream.Element, 16)
	go func() {
		defer close(ch)
		for {
			_, b, err := c.c.Read(context.Background())
			if err != nil {
				return
			}
			if el, err := stream.DecodeElement(b, stream.DefaultLimits(), ""); err == nil {
				ch <- el
			}
		}
	}()
	return ch
}

// TestShutdownParked: shutdown ends parked WebSocket sessions with
// system-shutdown and a close frame, and returns.
func TestShutdownParked(t *testing.T) {
	e := startParking(t, ws.Config{Proxies: trustLoopback(t)}, 50*time.Millisecond)
	var cs []*client
	for _, r := range []string{"a", "b", "c"} {
		c := dial(t, e.url, proxied())
		c.res = r
		c.loginPlain("alice")
		cs = append(cs, c)
	}
	e.waitParked(t, 3)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	for _, c := range cs {
		se := c.expect(func(el *stream.Element) bool { return el.Is(stream.NSStream, "error") })
		if se.Child(stream.NSStreamErr, "system-shutdown") == nil {
			t.Fatalf("want system-shutdown, got %s", se)
		}
		c.expect(func(el *stream.Element) bool { return el.Is(stream.NSFraming, "close") })
		if _, err := c.next(); err == nil {
			t.Fatal("connection open after shutdown")
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown did not finish with parked sessions")
	}
	if g := e.gauge(t, parkedGauge); g != 0 {
		t.Fatalf("parked gauge %v after shutdown", g)
	}
	c := dial(t, e.url, proxied())
	if _, err := c.next(); err == nil {
		t.Fatal("a session started after shutdown")
	}
}

// rawClient speaks RFC 6455 by hand, to control what goes into each write.
type rawClient struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

// frame returns a masked client frame.
func frame(op byte, fin bool, p []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	b = append(b, mask[:]...)
	for i, c := range p {
		b = append(b, c^mask[i%4])
	}
	return b
}

func textFrame(s string) []byte { return frame(0x1, true, []byte(s)) }

const openXML = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>"

// dialRaw sends the upgrade request with extra bytes in the same write.
func dialRaw(t testing.TB, wsURL string, extra []byte) *rawClient {
	t.Helper()
	u, err := url.Parse(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	var key [16]byte
	rand.Read(key[:])
	req := "GET " + u.Path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key[:]) + "\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: xmpp\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), extra...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Protocol") != "xmpp" {
		t.Fatalf("upgrade: %s %v", resp.Status, resp.Header)
	}
	return &rawClient{t: t, conn: conn, br: br}
}

// next reads one server frame: its opcode and payload.
func (c *rawClient) next() (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 != 0 {
		c.t.Fatal("server frames must not be masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		io.ReadFull(c.br, l[:])
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		io.ReadFull(c.br, l[:])
		n = binary.BigEndian.Uint64(l[:])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(c.br, p)
	return h[0] & 0x0f, p, err
}

func (c *rawClient) expectText(prefix string) string {
	c.t.Helper()
	for {
		op, p, err := c.next()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", prefix, err)
		}
		if op == 0x1 {
			if !strings.HasPrefix(string(p), prefix) {
				c.t.Fatalf("want %s..., got %s", prefix, p)
			}
			return string(p)
		}
	}
}

// TestBytesWithUpgrade: frames sent in the same packet as the upgrade
// request land in net/http's reader; they must reach the session.
func TestBytesWithUpgrade(t *testing.T) {
	e := start(t, ws.Config{})
	open := textFrame(openXML)
	tests := []struct {
		name  string
		extra []byte
	}{
		{"whole open", textFrame(openXML)},
		{"open split across frames", append(frame(0x1, false, []byte(openXML[:20])), frame(0x0, true, []byte(openXML[20:]))...)},
		{"a ping before the open", append(frame(0x9, true, []byte("hi")), textFrame(openXML)...)},
		{"half a frame", open[:7]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, e.url, tt.extra)
			if tt.name == "half a frame" {
				// the rest of the frame follows the upgrade
				c.conn.Write(open[7:])
			}
			c.expectText("<open ")
			c.expectText("<stream:features ")
		})
	}
}

// TestFrameErrors: frames RFC 6455 forbids end that connection with a close
// frame carrying the RFC's code; the server goes on.
func TestFrameErrors(t *testing.T) {
	e := start(t, ws.Config{})
	unmasked := []byte{0x81, 0x02, 'h', 'i'}
	tests := []struct {
		name  string
		send  []byte
		code  uint16
		error string // the stream error condition before the close, if any
	}{
		{"unmasked", unmasked, 1002, "bad-format"},
		{"reserved opcode", frame(0x3, true, nil), 1002, "bad-format"},
		{"fragmented ping", frame(0x9, false, nil), 1002, "bad-format"},
		{"stray continuation", frame(0x0, true, []byte("x")), 1002, "bad-format"},
		{"binary", frame(0x2, true, []byte("<open/>")), 1003, "bad-format"},
		{"too large", frame(0x1, true, make([]byte, 9<<10)), 1008, "policy-violation"},
		{"too large in fragments", append(frame(0x1, false, make([]byte, 5<<10)), frame(0x0, true, make([]byte, 5<<10))...), 1008, "policy-violation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, e.url, textFrame(openXML))
			c.expectText("<open ")
			c.expectText("<stream:features ")
			c.conn.Write(tt.send)
			se := c.expectText("<stream:error ")
			if !strings.Contains(se, "<"+tt.error+" ") {
				t.Fatalf("want %s, got %s", tt.error, se)
			}
			for {
				op, p, err := c.next()
				if err != nil {
					t.Fatalf("no close frame: %v", err)
				}
				if op == 0x8 {
					if len(p) < 2 || binary.BigEndian.Uint16(p) != tt.code {
						t.Fatalf("close frame %x, want code %d", p, tt.code)
					}
					break
				}
			}
		})
	}
	// A peer that closes first gets our close frame back.
	c := dialRaw(t, e.url, textFrame(openXML))
	c.expectText("<open ")
	c.conn.Write(frame(0x8, true, []byte{0x03, 0xe8}))
	for {
		op, _, err := c.next()
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		if op == 0x8 {
			break
		}
	}
	var _ c2s.Parkable // the seam these tests exercise
}
