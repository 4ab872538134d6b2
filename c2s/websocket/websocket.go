// Package websocket serves XMPP over WebSocket (RFC 7395) on the HTTP
// listener: the "xmpp" subprotocol, one element per text message, <open/>
// and <close/> in place of the stream tags. Each connection runs the c2s
// session state machine through c2s.Transport, so SASL, bind, modules and
// limits are those of TCP.
//
// It uses github.com/coder/websocket: maintained, context-aware, no
// goroutine of its own per idle connection, and a read API that lets us
// bound a message ourselves (so an oversized one ends with the stream error
// and close code RFC 7395 and RFC 6455 name, policy-violation).
package websocket

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/framing"
	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Subprotocol is the WebSocket subprotocol of RFC 7395 §3.1.
const Subprotocol = "xmpp"

// Config configures the handler.
type Config struct {
	// Limits bound one message (MaxStanzaBytes) and the element in it.
	Limits stream.Limits
	// PingInterval is how often an idle peer is pinged; 0 disables pings.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take before the peer is dropped.
	PingTimeout time.Duration
	// Origins are the web origins ("https://chat.example.com", path.Match
	// patterns, "*" for any) allowed besides the request's own host.
	Origins []string
	// Proxies are the reverse proxies whose forwarded headers are trusted.
	Proxies httpx.Proxies
	// SeeOtherURI, when set, answers every <open/> with <close
	// see-other-uri/> (RFC 7395 §3.6.2): a node being drained sends its
	// clients elsewhere.
	SeeOtherURI string
}

// Handler is the http.Handler for the WebSocket endpoint.
type Handler struct {
	t   *c2s.Transport
	cfg Config
	log *slog.Logger
}

// New returns a handler running sessions on t.
func New(t *c2s.Transport, cfg Config, log *slog.Logger) *Handler {
	if cfg.Limits.MaxStanzaBytes == 0 {
		cfg.Limits = stream.DefaultLimits()
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 30 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// coder/websocket matches the Origin's host; the configuration names
	// whole origins ("https://chat.example.com"), as CORS does.
	hosts := make([]string, 0, len(cfg.Origins))
	for _, o := range cfg.Origins {
		if _, h, ok := strings.Cut(o, "://"); ok {
			o = h
		}
		hosts = append(hosts, o)
	}
	cfg.Origins = hosts
	return &Handler{t: t, cfg: cfg, log: log}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	opts := &websocket.AcceptOptions{Subprotocols: []string{Subprotocol}, OriginPatterns: h.cfg.Origins}
	for _, o := range h.cfg.Origins {
		if o == "*" {
			opts.InsecureSkipVerify = true
		}
	}
	ws, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept wrote the HTTP error
	}
	if ws.Subprotocol() != Subprotocol {
		// RFC 7395 §3.2: without the xmpp subprotocol there is no XMPP.
		ws.Close(websocket.StatusPolicyViolation, "the xmpp subprotocol is required")
		return
	}
	// We bound messages ourselves (read below) to answer with a stream error.
	ws.SetReadLimit(-1)
	ctx := context.WithoutCancel(r.Context())
	if h.cfg.SeeOtherURI != "" {
		h.redirect(ctx, ws)
		return
	}
	c := &conn{ws: ws, max: h.cfg.Limits.MaxStanzaBytes, lim: h.cfg.Limits, ctx: ctx,
		tls: h.cfg.Proxies.Security(r), cookies: r.Cookies(), remote: h.cfg.Proxies.RemoteAddr(r),
		closeCode: websocket.StatusNormalClosure, pingEvery: h.cfg.PingInterval, pingTimeout: h.cfg.PingTimeout}
	c.schedulePing()
	h.t.Serve(ctx, c)
	c.Close()
}

// redirect reads the client's <open/> and answers with see-other-uri.
func (h *Handler) redirect(ctx context.Context, ws *websocket.Conn) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, msg, err := ws.Read(ctx)
	if err != nil {
		ws.CloseNow()
		return
	}
	el, err := stream.DecodeElement(msg, h.cfg.Limits, "")
	if err != nil || !el.Is(stream.NSFraming, "open") {
		ws.Close(websocket.StatusPolicyViolation, "expected <open/>")
		return
	}
	ws.Write(ctx, websocket.MessageText, appendOpen(nil, "", el.Attr("to")))
	b := append([]byte(nil), "<close xmlns='"+stream.NSFraming+"' see-other-uri='"...)
	b = stream.EscapeAttr(b, h.cfg.SeeOtherURI)
	ws.Write(ctx, websocket.MessageText, append(b, "'/>"...))
	ws.Close(websocket.StatusNormalClosure, "")
}

// appendOpen appends the server's <open/> (RFC 7395 §3.4).
func appendOpen(b []byte, id, from string) []byte {
	b = append(b, "<open xmlns='"+stream.NSFraming+"'"...)
	if id != "" {
		b = append(b, " id='"...)
		b = stream.EscapeAttr(b, id)
		b = append(b, '\'')
	}
	if from != "" {
		b = append(b, " from='"...)
		b = stream.EscapeAttr(b, from)
		b = append(b, '\'')
	}
	return append(b, " version='1.0' xml:lang='en'/>"...)
}

// conn is the session's view of one WebSocket: Read yields an RFC 6120
// stream, Write takes one and sends its elements one per message.
type conn struct {
	ws      *websocket.Conn
	ctx     context.Context
	max     int
	lim     stream.Limits
	tls     *tls.ConnectionState
	cookies []*http.Cookie
	remote  net.Addr

	// reader side: only the session's goroutine
	in       []byte
	rdl      time.Time
	rdlMu    sync.Mutex
	inHeader []byte

	// writer side: only the session's writer goroutine at a time
	wmu   sync.Mutex
	split framing.Splitter
	out   []byte
	wdl   atomic.Int64 // write deadline, UnixNano; 0 for none

	pingEvery, pingTimeout time.Duration
	pingTimer              *time.Timer

	closeOnce sync.Once
	closeMu   sync.Mutex
	closeCode websocket.StatusCode
	closeWhy  string
}

var _ c2s.StreamConn = (*conn)(nil)

// schedulePing arms a timer, not a goroutine, so an idle connection costs
// no stack for pings.
func (c *conn) schedulePing() {
	if c.pingEvery <= 0 {
		return
	}
	c.pingTimer = time.AfterFunc(c.pingEvery, func() {
		ctx, cancel := context.WithTimeout(c.ctx, c.pingTimeout)
		err := c.ws.Ping(ctx)
		cancel()
		if err != nil {
			// A dead peer: cut it; the session's Read fails and it ends.
			c.ws.CloseNow()
			return
		}
		c.pingTimer.Reset(c.pingEvery)
	})
}

// Read implements net.Conn.
func (c *conn) Read(p []byte) (int, error) {
	for len(c.in) == 0 {
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.in)
	c.in = c.in[n:]
	return n, nil
}

var errDeadline = os.ErrDeadlineExceeded

// next reads one message and translates the framing elements.
func (c *conn) next() error {
	ctx := c.ctx
	c.rdlMu.Lock()
	dl := c.rdl
	c.rdlMu.Unlock()
	if !dl.IsZero() {
		if time.Until(dl) <= 0 {
			return errDeadline
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	typ, r, err := c.ws.Reader(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return errDeadline
		}
		if websocket.CloseStatus(err) != -1 {
			return io.EOF
		}
		return err
	}
	if typ != websocket.MessageText {
		c.setClose(websocket.StatusUnsupportedData, "text messages only")
		return stream.E(stream.BadFormat, "RFC 7395 uses text messages only")
	}
	msg, err := io.ReadAll(io.LimitReader(r, int64(c.max)+1))
	if err != nil {
		return err
	}
	if len(msg) > c.max {
		c.setClose(websocket.StatusPolicyViolation, "message too large")
		return stream.E(stream.PolicyViolation, "message larger than the stanza size limit")
	}
	trimmed := bytes.TrimLeft(msg, " \t\r\n")
	switch {
	case bytes.HasPrefix(trimmed, []byte("<open")):
		el, err := stream.DecodeElement(trimmed, c.lim, "")
		if err != nil {
			return err
		}
		if !el.Is(stream.NSFraming, "open") {
			return stream.E(stream.InvalidNamespace, "")
		}
		c.in = appendStreamHeader(c.inHeader[:0], el)
		c.inHeader = c.in
	case bytes.HasPrefix(trimmed, []byte("<close")):
		el, err := stream.DecodeElement(trimmed, c.lim, "")
		if err != nil {
			return err
		}
		if !el.Is(stream.NSFraming, "close") {
			return stream.E(stream.InvalidNamespace, "")
		}
		c.in = []byte("</stream:stream>")
	default:
		c.in = msg
	}
	return nil
}

// appendStreamHeader turns a client's <open/> into the RFC 6120 header the
// session checks, keeping the attributes it looks at.
func appendStreamHeader(b []byte, open *stream.Element) []byte {
	b = append(b, "<stream:stream xmlns='"+stream.NSClient+"' xmlns:stream='"+stream.NSStream+"'"...)
	for _, a := range []struct{ name, v string }{
		{"to", open.Attr("to")}, {"from", open.Attr("from")}, {"version", open.Attr("version")},
		{"xml:lang", open.AttrNS(stream.NSXML, "lang")},
	} {
		if open.HasAttr(a.name) || a.v != "" {
			b = append(b, ' ')
			b = append(b, a.name...)
			b = append(b, "='"...)
			b = stream.EscapeAttr(b, a.v)
			b = append(b, '\'')
		}
	}
	return append(b, '>')
}

// Write implements net.Conn: b holds whole elements of the session's
// stream, sent one per message.
func (c *conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	ctx := c.ctx
	if dl := c.wdl.Load(); dl != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, dl))
		defer cancel()
	}
	err := c.split.Write(b, func(u framing.Unit) error {
		var msg []byte
		switch u.Kind {
		case framing.Header:
			c.out = appendOpen(c.out[:0], u.ID, u.From)
			msg = c.out
		case framing.Close:
			msg = []byte("<close xmlns='" + stream.NSFraming + "'/>")
		default:
			msg = u.Data
		}
		return c.ws.Write(ctx, websocket.MessageText, msg)
	})
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c *conn) setClose(code websocket.StatusCode, why string) {
	c.closeMu.Lock()
	c.closeCode, c.closeWhy = code, why
	c.closeMu.Unlock()
}

// Close implements net.Conn; the WebSocket closing handshake runs in the
// background so the session's writer is not held by a slow peer.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		if c.pingTimer != nil {
			c.pingTimer.Stop()
		}
		c.closeMu.Lock()
		code, why := c.closeCode, c.closeWhy
		c.closeMu.Unlock()
		go c.ws.Close(code, why)
	})
	return nil
}

// Security implements c2s.StreamConn.
func (c *conn) Security() (*tls.ConnectionState, []*http.Cookie) { return c.tls, c.cookies }

// LocalAddr implements net.Conn.
func (c *conn) LocalAddr() net.Addr { return httpx.Addr("websocket") }

// RemoteAddr implements net.Conn.
func (c *conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn.
func (c *conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn.
func (c *conn) SetReadDeadline(t time.Time) error {
	c.rdlMu.Lock()
	c.rdl = t
	c.rdlMu.Unlock()
	return nil
}

// SetWriteDeadline implements net.Conn. It applies to Writes that start
// after it; the slow-consumer path of the session sets it before closing.
func (c *conn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() {
		c.wdl.Store(0)
	} else {
		c.wdl.Store(t.UnixNano())
	}
	return nil
}
