package mob

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// WebSocket is the RFC 7395 transport: each WebSocket text message holds
// one element, the stream opens with <open/> and ends with <close/>, and
// TLS is the URL's (wss://). There is no STARTTLS.
type WebSocket struct {
	URL     string
	Timeout time.Duration
	client  *http.Client
	secure  bool
}

var _ Transport = (*WebSocket)(nil)

// NewWebSocket checks a ws:// or wss:// URL and returns the transport and
// the URL's host, for CheckTarget. sources are local addresses to dial
// from in turn (may be empty).
func NewWebSocket(raw string, tlsCfg *tls.Config, timeout time.Duration, sources []net.IP) (*WebSocket, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("--url: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" || u.Host == "" {
		return nil, "", fmt.Errorf("--url %q: want ws://host:port/path or wss://...", raw)
	}
	var next atomic.Uint64
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		if len(sources) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: sources[int(next.Add(1)-1)%len(sources)]}
		}
		return d.DialContext(ctx, network, addr)
	}
	tr := &http.Transport{DialContext: dialer, TLSClientConfig: tlsCfg, ForceAttemptHTTP2: false,
		TLSHandshakeTimeout: timeout, DisableKeepAlives: true}
	return &WebSocket{URL: raw, Timeout: timeout, client: &http.Client{Transport: tr}, secure: u.Scheme == "wss"}, u.Hostname(), nil
}

// Name implements Transport.
func (w *WebSocket) Name() string { return "websocket" }

// Dial implements Transport.
func (w *WebSocket) Dial(ctx context.Context) (Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	c, resp, err := websocket.Dial(dctx, w.URL, &websocket.DialOptions{HTTPClient: w.client, Subprotocols: []string{"xmpp"}})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	if c.Subprotocol() != "xmpp" {
		c.CloseNow()
		return nil, errors.New("websocket: the server did not accept the xmpp subprotocol")
	}
	c.SetReadLimit(int64(mobLimits.MaxStanzaBytes))
	return &wsConn{c: c, secure: w.secure}, nil
}

type wsConn struct {
	c        *websocket.Conn
	secure   bool
	deadline atomic.Pointer[time.Time]
	closed   atomic.Bool
}

func (w *wsConn) Open(domain string) (*stream.Element, error) {
	var b []byte
	b = append(b, "<open xmlns='"+stream.NSFraming+"' version='1.0' to='"...)
	b = stream.EscapeAttr(b, domain)
	b = append(b, "'/>"...)
	if err := w.Write(b); err != nil {
		return nil, err
	}
	el, err := w.read()
	if err != nil {
		return nil, err
	}
	if !el.Is(stream.NSFraming, "open") {
		return nil, fmt.Errorf("mob: expected <open/>, got <%s/>", el.Local)
	}
	f, err := w.Next()
	if err != nil {
		return nil, err
	}
	if !f.Is(stream.NSStream, "features") {
		return nil, fmt.Errorf("mob: expected stream features, got <%s/>", f.Local)
	}
	return f, nil
}

func (w *wsConn) StartTLS() error { return ErrNoStartTLS }
func (w *wsConn) Encrypted() bool { return w.secure }

// Write sends b as one message: b must be exactly one element.
func (w *wsConn) Write(b []byte) error {
	return w.c.Write(context.Background(), websocket.MessageText, b)
}

func (w *wsConn) read() (*stream.Element, error) {
	ctx := context.Background()
	if d := w.deadline.Load(); d != nil && !d.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, *d)
		defer cancel()
	}
	typ, b, err := w.c.Read(ctx)
	if err != nil {
		if websocket.CloseStatus(err) != -1 {
			return nil, io.EOF
		}
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, errors.New("websocket: binary message")
	}
	return stream.DecodeElement(b, mobLimits, stream.NSClient)
}

func (w *wsConn) Next() (*stream.Element, error) {
	el, err := w.read()
	if err != nil {
		return nil, err
	}
	switch {
	case el.Is(stream.NSFraming, "close"):
		return nil, io.EOF
	case el.Is(stream.NSStream, "error"):
		return nil, streamError(el)
	}
	return el, nil
}

func (w *wsConn) SetReadDeadline(t time.Time) error { w.deadline.Store(&t); return nil }

func (w *wsConn) Close() error {
	if w.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	w.c.Write(ctx, websocket.MessageText, []byte("<close xmlns='"+stream.NSFraming+"'/>"))
	return w.c.CloseNow()
}
