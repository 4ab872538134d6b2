package bosh

import (
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
)

// conn is the c2s session's view of a BOSH session: Read yields the RFC
// 6120 stream assembled from request bodies (in rid order, with headers
// synthesized at creation and restart); Write hands the session's output to
// the BOSH session, which answers held requests with it.
type conn struct {
	b *session

	mu       sync.Mutex
	in       []byte
	notify   chan struct{} // one token: input arrived or the conn closed
	closed   bool
	deadline time.Time

	tls     *tls.ConnectionState
	cookies []*http.Cookie
	remote  net.Addr
}

func newConn(b *session) *conn {
	return &conn{b: b, notify: make(chan struct{}, 1)}
}

// feed appends stream bytes for the session to read.
func (c *conn) feed(p []byte) {
	c.mu.Lock()
	if !c.closed {
		c.in = append(c.in, p...)
	}
	c.mu.Unlock()
	c.wake()
}

func (c *conn) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// Read implements net.Conn.
func (c *conn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		if len(c.in) > 0 {
			n := copy(p, c.in)
			c.in = c.in[n:]
			if len(c.in) == 0 {
				c.in = nil // do not keep a grown buffer on an idle session
			}
			c.mu.Unlock()
			return n, nil
		}
		if c.closed {
			c.mu.Unlock()
			return 0, net.ErrClosed
		}
		dl := c.deadline
		c.mu.Unlock()
		if dl.IsZero() {
			<-c.notify
			continue
		}
		d := time.Until(dl)
		if d <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		select {
		case <-c.notify:
			t.Stop()
		case <-t.C:
		}
	}
}

// Write implements net.Conn.
func (c *conn) Write(p []byte) (int, error) {
	if err := c.b.output(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close implements net.Conn: the BOSH session ends (held requests are
// answered with terminate).
func (c *conn) Close() error {
	c.mu.Lock()
	was := c.closed
	c.closed = true
	c.mu.Unlock()
	c.wake()
	if !was {
		c.b.end("")
	}
	return nil
}

// Security implements c2s.StreamConn.
func (c *conn) Security() (*tls.ConnectionState, []*http.Cookie) { return c.tls, c.cookies }

// LocalAddr implements net.Conn.
func (c *conn) LocalAddr() net.Addr { return httpx.Addr("bosh") }

// RemoteAddr implements net.Conn.
func (c *conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn.
func (c *conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline implements net.Conn.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	c.wake()
	return nil
}

// SetWriteDeadline implements net.Conn; writes never block on BOSH.
func (c *conn) SetWriteDeadline(time.Time) error { return nil }
