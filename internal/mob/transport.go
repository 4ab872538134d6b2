package mob

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// TLSMode is how a TCP connection is secured.
type TLSMode string

// The TLS modes of the c2s transport.
const (
	TLSStartTLS TLSMode = "starttls" // plain TCP upgraded with STARTTLS (RFC 6120 §5)
	TLSDirect   TLSMode = "direct"   // TLS from the first byte (XEP-0368)
	TLSNone     TLSMode = "none"     // never encrypted
)

// ParseTLSMode checks a --tls value.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(s); m {
	case TLSStartTLS, TLSDirect, TLSNone:
		return m, nil
	}
	return "", fmt.Errorf("tls mode %q: want starttls, direct or none", s)
}

// Transport opens stream connections to the server under test. Each kind
// of link is framing only, in front of one login state machine (Session):
//
//   - TCP (RFC 6120): one XML stream over a socket, with STARTTLS, direct
//     TLS or none.
//   - WebSocket (RFC 7395): one element per message, <open/> and <close/>
//     instead of the stream header; TLS is the URL's (wss).
//   - BOSH (XEP-0124, XEP-0206): the Conn holds the HTTP session, turns
//     Write into a request body and Next into the elements of long-poll
//     responses (bosh.go).
type Transport interface {
	// Dial connects; TLS that starts at connect is done here.
	Dial(ctx context.Context) (Conn, error)
	// Name names the transport in reports: "tcp", "websocket" or "bosh".
	Name() string
}

// Conn is one connection carrying an XMPP stream, whatever its framing.
// Next is called by one goroutine at a time; Write and Close may be called
// from any goroutine, and one Write is never interleaved with another.
type Conn interface {
	// Open sends a stream opening for domain and returns the server's
	// features. It is called again after STARTTLS and SASL.
	Open(domain string) (*stream.Element, error)
	// StartTLS upgrades the connection after <proceed/>;
	// ErrNoStartTLS when the transport cannot.
	StartTLS() error
	// Encrypted reports whether TLS is on.
	Encrypted() bool
	// Write sends one or more complete top-level elements.
	Write(b []byte) error
	// Next returns the next top-level element: io.EOF once the server
	// ended its stream, *StreamError for a stream error.
	Next() (*stream.Element, error)
	// SetReadDeadline bounds Next; the zero time removes the bound.
	SetReadDeadline(t time.Time) error
	// Close ends the stream, best effort and briefly, and closes.
	Close() error
}

// RequestCounter is a Transport that makes requests of its own beyond the
// stream (BOSH: one HTTP request per body) and counts them, so a report can
// give the requests each delivery cost.
type RequestCounter interface {
	Requests() uint64
}

// ErrNoStartTLS is returned by StartTLS on a transport that cannot.
var ErrNoStartTLS = errors.New("mob: this transport has no STARTTLS")

// StreamError is a <stream:error/> from the server.
type StreamError struct{ Condition string }

func (e *StreamError) Error() string { return "stream error: " + e.Condition }

// mobLimits bound what mob reads: larger than a server's defaults, since
// rosters, disco results and MUC presence floods can be big.
var mobLimits = stream.Limits{MaxStanzaBytes: 1 << 20, MaxDepth: 64, MaxAttrs: 128}

// TCP is the c2s transport (RFC 6120) over TCP.
type TCP struct {
	Addr    string      // host:port
	Mode    TLSMode     // starttls, direct or none
	TLS     *tls.Config // for direct TLS and STARTTLS
	Timeout time.Duration
	// Sources are local addresses to dial from, taken in turn, when the
	// ephemeral ports of one address run short; empty: the system's choice.
	Sources []net.IP
	next    atomic.Uint64
}

// Name implements Transport.
func (t *TCP) Name() string { return "tcp" }

// Dial implements Transport.
func (t *TCP) Dial(ctx context.Context) (Conn, error) {
	d := net.Dialer{Timeout: t.Timeout}
	if len(t.Sources) > 0 {
		ip := t.Sources[int(t.next.Add(1)-1)%len(t.Sources)]
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	nc, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	c := &tcpConn{raw: nc, conn: nc, tlsCfg: t.TLS, timeout: t.Timeout}
	if t.Mode == TLSDirect {
		if err := c.StartTLS(); err != nil {
			nc.Close()
			return nil, err
		}
	}
	c.dec = stream.NewDecoder(c.conn, mobLimits)
	return c, nil
}

type tcpConn struct {
	raw     net.Conn
	conn    net.Conn // raw or a *tls.Conn over it
	tlsCfg  *tls.Config
	timeout time.Duration
	dec     *stream.Decoder
	hdr     []byte
	closed  atomic.Bool
}

func (c *tcpConn) Open(domain string) (*stream.Element, error) {
	c.hdr = stream.AppendStreamHeader(c.hdr[:0], stream.StreamHeader{NS: stream.NSClient, To: domain, Version: "1.0"})
	if err := c.Write(c.hdr); err != nil {
		return nil, err
	}
	if c.dec == nil {
		c.dec = stream.NewDecoder(c.conn, mobLimits)
	} else {
		c.dec.Reset(c.conn)
	}
	tok, err := c.dec.Next()
	if err != nil {
		return nil, err
	}
	if tok.Kind != stream.KindStreamStart {
		return nil, fmt.Errorf("mob: expected a stream header, got token kind %v", tok.Kind)
	}
	f, err := c.Next()
	if err != nil {
		return nil, err
	}
	if !f.Is(stream.NSStream, "features") {
		return nil, fmt.Errorf("mob: expected stream features, got <%s/>", f.Local)
	}
	return f, nil
}

func (c *tcpConn) StartTLS() error {
	cfg := c.tlsCfg
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	tc := tls.Client(c.raw, cfg)
	if c.timeout > 0 {
		tc.SetDeadline(time.Now().Add(c.timeout))
	}
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("tls handshake: %w", err)
	}
	tc.SetDeadline(time.Time{})
	c.conn = tc
	return nil
}

func (c *tcpConn) Encrypted() bool { _, ok := c.conn.(*tls.Conn); return ok }

func (c *tcpConn) Write(b []byte) error {
	_, err := c.conn.Write(b)
	return err
}

func (c *tcpConn) Next() (*stream.Element, error) {
	for {
		tok, err := c.dec.Next()
		if err != nil {
			return nil, err
		}
		switch tok.Kind {
		case stream.KindStanza:
			if tok.Elem.Is(stream.NSStream, "error") {
				return nil, streamError(tok.Elem)
			}
			return tok.Elem, nil
		case stream.KindStreamEnd:
			return nil, io.EOF
		}
		// A stream header out of place (a restart we did not ask for): skip.
	}
}

func streamError(el *stream.Element) *StreamError {
	for c := range el.Elements() {
		if c.Space == stream.NSStreamErr && c.Local != "text" {
			return &StreamError{Condition: c.Local}
		}
	}
	return &StreamError{Condition: "undefined-condition"}
}

func (c *tcpConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

func (c *tcpConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	c.conn.Write([]byte("</stream:stream>"))
	return c.conn.Close()
}
