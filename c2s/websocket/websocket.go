// Package websocket serves XMPP over WebSocket (RFC 7395) on the HTTP
// listener: the "xmpp" subprotocol, one element per text message, <open/>
// and <close/> in place of the stream tags. Each connection runs the c2s
// session state machine through c2s.Transport, so SASL, bind, modules and
// limits are those of TCP.
//
// An idle WebSocket session should cost what an idle TCP session costs, so
// the handler keeps nothing of net/http once the connection is upgraded.
// github.com/gobwas/ws does the RFC 6455 handshake on the hijacked socket;
// the handler copies out any bytes that arrived with the request, lets go
// of the request, net/http's buffers and its goroutine, and the session
// goes on on a goroutine of its own. Frames are read straight off the
// socket into a buffer that exists only while the session reads, so a
// bound session that falls silent parks like a TCP one (c2s/park.go): no
// goroutine, no read buffer, one epoll registration. Pings are timers, not
// goroutines, and a pong wakes a parked session only for as long as it
// takes to read it.
package websocket

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gobwas/ws"

	"log/slog"

	"github.com/meerkat-xmpp/meerkat/c2s"
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
	// patterns, "*" for any) allowed besides the request's own host. A
	// page let in by "*" alone gets no login from its cookies.
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
	t        *c2s.Transport
	cfg      Config
	log      *slog.Logger
	origins  httpx.Origins
	upgrader ws.HTTPUpgrader
	// bufs holds the buffers writes frame into, borrowed for one write so
	// that an idle connection holds no write buffer.
	bufs sync.Pool
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
	h := &Handler{t: t, cfg: cfg, log: log, origins: httpx.NewOrigins(cfg.Origins)}
	h.upgrader = ws.HTTPUpgrader{
		Protocol: func(p string) bool { return p == Subprotocol },
		Timeout:  10 * time.Second,
	}
	return h
}

// ServeHTTP implements http.Handler. It returns as soon as the session is
// started: the session does not run on net/http's goroutine.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// RFC 6455 §10.2: a page may connect from the host it connects to or
	// from a configured origin; a browser sends the visitor's cookies
	// whichever page opens the socket.
	origin := h.origins.Check(r)
	if !origin.Allowed() {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	raw, rw, hs, err := h.upgrader.Upgrade(r, w)
	if err != nil {
		// The upgrader answered with an HTTP error on the hijacked conn.
		if raw != nil {
			raw.Close()
		}
		return
	}
	c := newConn(h, raw)
	if n := rw.Reader.Buffered(); n > 0 {
		// A client may send its first frames right behind the request;
		// they sit in net/http's reader, which we are about to drop.
		c.rbuf = make([]byte, n, max(n, readChunk))
		io.ReadFull(rw.Reader, c.rbuf)
	}
	if hs.Protocol != Subprotocol {
		// RFC 7395 §3.2: without the xmpp subprotocol there is no XMPP.
		c.setClose(ws.StatusPolicyViolation, "the xmpp subprotocol is required")
		c.Close()
		return
	}
	c.tls, c.remote = h.cfg.Proxies.Security(r), h.cfg.Proxies.RemoteAddr(r)
	if origin.Cookies() {
		// Not for a page let in by "*" alone: any site the visitor opens
		// could otherwise log in as them (SASL EXTERNAL).
		c.cookies = r.Cookies()
	}
	if h.cfg.SeeOtherURI != "" {
		h.redirect(c)
		return
	}
	c.schedulePing()
	// The session's context is not the request's: that one ends when this
	// handler returns, and would keep the request alive.
	if err := h.t.Start(context.Background(), c); err != nil {
		c.Close()
	}
}

// redirect reads the client's <open/> and answers with see-other-uri.
func (h *Handler) redirect(c *conn) {
	defer c.Close()
	c.raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	msg, err := c.readMessage()
	if err != nil {
		return
	}
	el, err := stream.DecodeElement(bytes.TrimLeft(msg, " \t\r\n"), h.cfg.Limits, "")
	if err != nil || !el.Is(stream.NSFraming, "open") {
		c.setClose(ws.StatusPolicyViolation, "expected <open/>")
		return
	}
	b := append([]byte(nil), "<close xmlns='"+stream.NSFraming+"' see-other-uri='"...)
	b = stream.EscapeAttr(b, h.cfg.SeeOtherURI)
	b = append(b, "'/>"...)
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.writeMessages(appendOpen(nil, "", el.Attr("to")), b)
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
