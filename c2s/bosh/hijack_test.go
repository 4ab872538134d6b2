package bosh_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/c2s/bosh"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// rawConn is one client connection to the HTTP listener, written by hand
// so a test controls what shares it.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, e *env) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(e.url, "/http-bind"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(15 * time.Second))
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func postText(body string) string {
	return fmt.Sprintf("POST /http-bind HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

func (rc *rawConn) write(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// read reads one response and its body.
func (rc *rawConn) read() (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		rc.t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

// closed reports whether the server closed the connection.
func (rc *rawConn) closed() bool {
	rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := rc.br.ReadByte()
	return err == io.EOF
}

func boshBody(t *testing.T, raw string) *stream.Element {
	t.Helper()
	el, err := stream.DecodeElement([]byte(raw), stream.DefaultLimits(), "")
	if err != nil || !el.Is(bosh.NSBind, "body") {
		t.Fatalf("response body %q: %v", raw, err)
	}
	return el
}

// TestTakenOverConnection runs a session's requests on one kept-alive
// connection, as a browser does: answers in order with the headers
// net/http would give them, pipelined requests included, and a request for
// another path served by the fallback and followed by a close.
func TestTakenOverConnection(t *testing.T) {
	e := start(t, bosh.Config{Fallback: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "fallback %s", r.URL.Path)
	})})
	rc := dialRaw(t, e)
	rc.write(postText(fmt.Sprintf("<body xmlns='%s' xmlns:xmpp='%s' rid='100' to='localhost' wait='1' hold='1' ver='1.6' xmpp:version='1.0'/>",
		bosh.NSBind, bosh.NSXBOSH)))
	resp, raw := rc.read()
	b := boshBody(t, raw)
	sid := b.Attr("sid")
	if resp.StatusCode != 200 || sid == "" || resp.Header.Get("Date") == "" ||
		resp.Header.Get("Content-Type") != "text/xml; charset=utf-8" || resp.Close {
		t.Fatalf("creation: %d %v close=%v %s", resp.StatusCode, resp.Header, resp.Close, raw)
	}

	// Two requests in one write: a poll held until wait (1 s) or output,
	// then a GET for another path. The answers come in that order.
	rc.write(postText(fmt.Sprintf("<body xmlns='%s' rid='101' sid='%s'/>", bosh.NSBind, sid)) +
		"GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, raw = rc.read()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("poll: %d close=%v %q", resp.StatusCode, resp.Close, raw)
	}
	boshBody(t, raw)
	resp, raw = rc.read()
	if resp.StatusCode != 200 || raw != "fallback /elsewhere" || !resp.Close || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("fallback: %d close=%v %v %q", resp.StatusCode, resp.Close, resp.Header, raw)
	}
	if !rc.closed() {
		t.Fatal("the connection stayed open after the fallback's Connection: close")
	}
}

// TestTakenOverBadInput: what net/http would refuse is refused on a
// connection taken over too, and the connection is closed; the session
// lives on for its next request elsewhere.
func TestTakenOverBadInput(t *testing.T) {
	e := start(t, bosh.Config{})
	c := login(t, e.url, "alice", "web")
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"garbage request line", "NOT HTTP AT ALL\r\n\r\n", http.StatusBadRequest},
		{"endless header", "POST /http-bind HTTP/1.1\r\nHost: x\r\nX-Long: " + strings.Repeat("a", 200<<10) + "\r\n\r\n", http.StatusBadRequest},
		{"wrong method", "GET /http-bind HTTP/1.1\r\nHost: x\r\n\r\n", http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, e)
			// The first POST takes the connection over; it is answered
			// from the retransmission cache (a rid already answered).
			rc.write(postText(fmt.Sprintf("<body xmlns='%s' rid='%d' sid='%s'/>", bosh.NSBind, c.rid, c.sid)))
			if resp, raw := rc.read(); resp.StatusCode != 200 {
				t.Fatalf("first request: %d %q", resp.StatusCode, raw)
			}
			rc.write(tc.req)
			resp, body := rc.read()
			if resp.StatusCode != tc.status || !strings.HasSuffix(body, "\n") {
				t.Fatalf("got %d %q, want %d", resp.StatusCode, body, tc.status)
			}
			if tc.status == http.StatusMethodNotAllowed {
				if resp.Header.Get("Allow") != "POST, OPTIONS" {
					t.Fatalf("Allow: %q", resp.Header.Get("Allow"))
				}
				// The connection goes on: the next request is answered.
				rc.write(postText(fmt.Sprintf("<body xmlns='%s' rid='%d' sid='%s'/>", bosh.NSBind, c.rid, c.sid)))
				if resp, raw := rc.read(); resp.StatusCode != 200 {
					t.Fatalf("after 405: %d %q", resp.StatusCode, raw)
				}
			}
			if tc.status == http.StatusBadRequest && !rc.closed() {
				t.Fatal("the connection stayed open")
			}
		})
	}
	if b := c.send("<iq xmlns='jabber:client' type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>"); b.Attr("type") == "terminate" {
		t.Fatalf("session ended: %s", b)
	}
}

// TestTakenOverHangUp: a client that hangs up on a held request loses
// nothing; what arrives afterwards waits for its next request.
func TestTakenOverHangUp(t *testing.T) {
	e := start(t, bosh.Config{})
	c := onlineQuiet(t, e.url, 30)

	rc := dialRaw(t, e)
	rc.write(postText(fmt.Sprintf("<body xmlns='%s' rid='%d' sid='%s'/>", bosh.NSBind, c.nextRID(), c.sid)))
	time.Sleep(200 * time.Millisecond) // held: nothing to say for 30 s
	rc.c.Close()
	time.Sleep(200 * time.Millisecond) // the server notices the hang-up

	tcp := xmpptest.Dial(t, e.tcp, xmpptest.Options{User: "bob", Password: password, Mech: "SCRAM-SHA-256", Resource: "desk"})
	tcp.Send("<message to='alice@localhost/web' type='chat' id='after'><body>after the hang-up</body></message>")
	// The next request gets it at once, not at the end of a 30 s wait.
	start := time.Now()
	m := c.await(func(el *stream.Element) bool { return el.Local == "message" && el.Attr("id") == "after" })
	if m == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("message after the hang-up: %v after %v", m, time.Since(start))
	}
}

// FuzzTakenOverConnection: whatever a client sends on a connection the
// handler took over, the server answers with well-formed HTTP responses
// (or none) and closes the connection once the client is done; it never
// panics or hangs.
func FuzzTakenOverConnection(f *testing.F) {
	f.Add([]byte(postText(fmt.Sprintf("<body xmlns='%s' rid='5' sid='none'/>", bosh.NSBind))))
	f.Add([]byte("GET /elsewhere HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("OPTIONS /http-bind HTTP/1.1\r\nHost: x\r\nOrigin: http://evil.example\r\n\r\n"))
	f.Add([]byte("POST /http-bind HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<body\r\n0\r\n\r\n"))
	f.Add([]byte("POST /http-bind HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"))
	f.Add([]byte(postText(fmt.Sprintf("<body xmlns='%s' xmlns:xmpp='%s' rid='100' to='localhost' wait='1' hold='1' ver='1.6' xmpp:version='1.0'/>",
		bosh.NSBind, bosh.NSXBOSH))))
	e := start(f, bosh.Config{})
	addr := strings.TrimPrefix(strings.TrimSuffix(e.url, "/http-bind"), "http://")
	// The first request takes the connection over: a sid nobody has.
	first := postText(fmt.Sprintf("<body xmlns='%s' rid='1' sid='nobody'/>", bosh.NSBind))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, first); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("first response: %v", err)
		} else {
			io.Copy(io.Discard, resp.Body)
		}
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
		for {
			if _, err := br.Peek(1); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatal("the server neither answered nor closed")
				}
				return // closed: done
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("malformed response: %v", err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatalf("response body: %v", err)
			}
		}
	})
}
