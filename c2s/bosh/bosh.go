// Package bosh serves XMPP over BOSH (XEP-0124, XEP-0206) on the HTTP
// listener: a session spans many HTTP requests, each a <body/> wrapper
// with a request id (rid). The connection manager holds up to 'hold'
// requests for up to 'wait' seconds and answers one as soon as there is
// something to deliver. Each BOSH session runs the c2s session state
// machine through c2s.Transport, so SASL, bind, modules and limits are
// those of TCP.
//
// A session outlives any one request: a page that reloads picks it up
// again by sending its sid with the next rid (or resending an unanswered
// one, which is answered from the retransmission cache).
package bosh

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Config bounds what clients may ask for (XEP-0124 §7.1).
type Config struct {
	// Limits bound the elements of a body; a body may be MaxStanzaBytes
	// plus 4 KiB of wrapper.
	Limits stream.Limits
	// MaxWait caps 'wait', the longest a request is held. Default 60s.
	MaxWait time.Duration
	// MaxHold caps 'hold', the requests held at once. Default 1.
	MaxHold int
	// MaxRequests caps 'requests', the requests a client may have open at
	// once (hold+1 by the XEP). Default 2.
	MaxRequests int
	// Inactivity ends a session with no request held for this long.
	// Default 60s.
	Inactivity time.Duration
	// Polling is the shortest allowed interval between empty requests
	// when none is held. Default 2s.
	Polling time.Duration
	// MaxPendingBytes bounds output waiting for a request (a slow
	// consumer's queue). Default 1 MiB.
	MaxPendingBytes int
	// Origins are the Origin values allowed cross-origin (CORS): exact
	// origins such as "https://chat.example.com", path.Match patterns, or
	// "*" for any (credentials are then not allowed, and the cookies of
	// such a page are not used to log in). Requests from other origins
	// are refused, as WebSocket refuses them.
	Origins []string
	// Proxies are the reverse proxies whose forwarded headers are trusted.
	Proxies httpx.Proxies
	// Fallback serves a request for another path that arrives on a
	// connection the handler took over from net/http (see hijack.go); nil
	// answers 404. It is the listener's mux.
	Fallback http.Handler
}

func (c *Config) setDefaults() {
	if c.Limits.MaxStanzaBytes == 0 {
		c.Limits = stream.DefaultLimits()
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 60 * time.Second
	}
	if c.MaxHold <= 0 {
		c.MaxHold = 1
	}
	if c.MaxRequests <= 0 {
		c.MaxRequests = 2
	}
	if c.Inactivity <= 0 {
		c.Inactivity = 60 * time.Second
	}
	if c.Polling <= 0 {
		c.Polling = 2 * time.Second
	}
	if c.MaxPendingBytes <= 0 {
		c.MaxPendingBytes = 1 << 20
	}
}

// Metrics are the BOSH collectors.
type Metrics struct {
	sessions    prometheus.Gauge
	errors      *prometheus.CounterVec
	timeouts    prometheus.Counter
	retransmits prometheus.Counter
}

// NewMetrics registers the BOSH collectors on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "meerkat_bosh_sessions",
			Help: "BOSH sessions open."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "meerkat_bosh_errors_total",
			Help: "BOSH requests refused, by XEP-0124 condition."}, []string{"condition"}),
		timeouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "meerkat_bosh_inactivity_timeouts_total",
			Help: "BOSH sessions ended by the inactivity limit."}),
		retransmits: prometheus.NewCounter(prometheus.CounterOpts{Name: "meerkat_bosh_retransmits_total",
			Help: "Requests answered from the retransmission cache (a client resent a rid)."}),
	}
	if reg != nil {
		reg.MustRegister(m.sessions, m.errors, m.timeouts, m.retransmits)
	}
	return m
}

// Handler is the http.Handler of the BOSH endpoint.
type Handler struct {
	t       *c2s.Transport
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	ctx     context.Context
	maxBody int64
	bodyLim stream.Limits
	origins httpx.Origins

	date atomic.Pointer[dateCache]

	mu       sync.Mutex
	sessions map[string]*session
	conns    map[*hconn]struct{} // connections taken over from net/http
	down     bool                // ctx ended: take over no more
}

// New returns a handler running sessions on t. ctx bounds the sessions.
func New(ctx context.Context, t *c2s.Transport, cfg Config, m *Metrics, log *slog.Logger) *Handler {
	cfg.setDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	lim := cfg.Limits
	lim.MaxStanzaBytes += 4 << 10
	lim.MaxDepth++
	h := &Handler{t: t, cfg: cfg, log: log, metrics: m, ctx: context.WithoutCancel(ctx),
		maxBody: int64(lim.MaxStanzaBytes), bodyLim: lim, origins: httpx.NewOrigins(cfg.Origins),
		sessions: make(map[string]*session), conns: make(map[*hconn]struct{})}
	// Sessions outlive ctx (the c2s server ends them), but the connections
	// taken over from net/http are no longer its to close at shutdown.
	context.AfterFunc(ctx, h.shutdown)
	return h
}

// Sessions reports the number of open BOSH sessions.
func (h *Handler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

func (h *Handler) forget(sid string) {
	h.mu.Lock()
	if _, ok := h.sessions[sid]; ok {
		delete(h.sessions, sid)
		h.metrics.sessions.Dec()
	}
	h.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// As in WebSocket: a page from an origin that is not allowed is
	// refused outright. CORS alone would only hide the answers from it;
	// the request, the visitor's cookies with it, would still be served.
	origin := h.origins.Check(r)
	if r.Header.Get("Origin") != "" {
		w.Header().Add("Vary", "Origin")
	}
	if !origin.Allowed() {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	h.cors(w, r, origin)
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "BOSH wants POST (XEP-0124)", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		h.reply(w, terminateBody(errBadRequest), errBadRequest)
		return
	}
	if h.takeOver(w, r, raw) {
		return
	}
	b, err := parseBody(raw, h.bodyLim)
	if err != nil {
		h.reply(w, terminateBody(errBadRequest), errBadRequest)
		return
	}
	var req *request
	var resp []byte
	if b.sid == "" {
		req, resp = h.create(r, b, origin, nil)
	} else {
		h.mu.Lock()
		s := h.sessions[b.sid]
		h.mu.Unlock()
		if s == nil {
			h.reply(w, terminateBody(errItemNotFound), errItemNotFound)
			return
		}
		req, resp = s.receive(b, nil)
	}
	if req != nil {
		select {
		case resp = <-req.resp:
		case <-r.Context().Done():
			if s := h.lookup(b.sid); s != nil {
				s.abandon(req)
			}
			return
		}
	}
	h.reply(w, resp, "")
}

func (h *Handler) lookup(sid string) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[sid]
}

func (h *Handler) reply(w http.ResponseWriter, b []byte, cond condError) {
	if cond != "" {
		h.metrics.errors.WithLabelValues(string(cond)).Inc()
	}
	if b == nil {
		b = []byte("<body xmlns='" + NSBind + "'/>")
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// cors answers cross-origin requests from the configured origins.
func (h *Handler) cors(w http.ResponseWriter, r *http.Request, v httpx.OriginVerdict) {
	hd := w.Header()
	corsHeaders(r, v, func(k, v string) { hd.Set(k, v) })
}

// appendCORS is cors for a response written by hand, with Vary: Origin.
func (h *Handler) appendCORS(b []byte, r *http.Request, v httpx.OriginVerdict) []byte {
	corsHeaders(r, v, func(k, v string) {
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, v...)
		b = append(b, "\r\n"...)
	})
	return b
}

// corsHeaders calls set for each header of the CORS answer to r, whose
// origin got verdict v; Vary: Origin comes first whenever r has an Origin.
func corsHeaders(r *http.Request, v httpx.OriginVerdict, set func(k, v string)) {
	origin := r.Header.Get("Origin")
	switch {
	case origin == "":
		return
	case v == httpx.OriginListed || v == httpx.OriginSame:
		set("Vary", "Origin")
		set("Access-Control-Allow-Origin", origin)
		set("Access-Control-Allow-Credentials", "true")
	case v == httpx.OriginAny:
		set("Vary", "Origin")
		set("Access-Control-Allow-Origin", "*")
	default:
		set("Vary", "Origin")
		return
	}
	set("Access-Control-Allow-Methods", "POST, OPTIONS")
	set("Access-Control-Allow-Headers", "Content-Type")
	set("Access-Control-Max-Age", "86400")
}

// create starts a session (XEP-0124 §7.1, XEP-0206 §3).
func (h *Handler) create(r *http.Request, b *body, origin httpx.OriginVerdict, hc *hconn) (*request, []byte) {
	if b.to == "" || !b.hasWait || !b.hasHold || b.restart || b.typ != "" {
		h.metrics.errors.WithLabelValues(string(errBadRequest)).Inc()
		return nil, terminateBody(errBadRequest)
	}
	s := &session{h: h, sid: newSID(), host: strings.ToLower(b.to), early: make(map[int64]*body),
		cache: make(map[int64][]byte), creationRID: b.rid, highest: b.rid, nextProc: b.rid + 1,
		lastResponded: b.rid - 1}
	s.wait = min(time.Duration(b.wait)*time.Second, h.cfg.MaxWait)
	s.hold = min(b.hold, h.cfg.MaxHold)
	s.requests = min(s.hold+1, h.cfg.MaxRequests)
	if s.requests < 1 {
		s.requests = 1
	}
	s.c = newConn(s)
	s.c.tls = h.cfg.Proxies.Security(r)
	if origin.Cookies() {
		// The cookies of this request are the session's for SASL EXTERNAL;
		// a page let in by "*" alone could be any site the visitor opens.
		s.c.cookies = r.Cookies()
	}
	s.c.remote = h.cfg.Proxies.RemoteAddr(r)
	req := newRequest(b.rid, hc)
	req.s = s
	req.timer = time.AfterFunc(s.wait, func() { s.expire(req) })
	s.held = []*request{req}
	h.mu.Lock()
	h.sessions[s.sid] = s
	h.metrics.sessions.Inc()
	h.mu.Unlock()
	s.c.feed(s.streamHeader(b))
	if len(b.payload) > 0 {
		s.c.feed(b.payload)
	}
	go func() {
		if err := h.t.Serve(h.ctx, s.c); err != nil {
			s.c.Close()
		}
	}()
	return req, nil
}

func newSID() string {
	var b [20]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}
