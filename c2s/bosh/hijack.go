package bosh

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
)

// A BOSH client sends one small POST after another on the same two
// keep-alive connections, and each costs the server more in net/http's
// per-request machinery (a context, a response writer with its header map
// and chunk writer, a background read that watches for a hang-up, each with
// system calls) than in BOSH itself: at 5,000 messages/s over 1,000 sessions
// that was two thirds of the server's CPU. So the first POST on a
// connection takes the connection over (http.Hijacker), and from then on
// one goroutine per connection reads requests with the standard library's
// parser (http.ReadRequest) and answers them with responses written in one
// piece. The reader is always in a read, which is how a client that hangs
// up on a held request is noticed; the answer to a held request is written
// by a short-lived goroutine, because it is produced under the session's
// lock by whoever had output for it, and must never wait on this client's
// socket.
//
// A request for another path on a connection taken over (a page that
// reuses the connection for an image) is served by Config.Fallback into a
// buffer and answered with Connection: close, so the client opens a new
// connection that net/http serves again.

const (
	// idleTimeout ends a kept-alive connection that sends nothing, on top
	// of the longest wait a request may be held.
	idleTimeout = 2 * time.Minute
	// writeTimeout bounds a response's write to a client that stopped
	// reading.
	writeTimeout = 30 * time.Second
)

// maxHeaderBytes bounds a request's header (net/http's default allows 1
// MiB; a BOSH request's header is a few hundred bytes).
const maxHeaderBytes = 64 << 10

// errTooLarge ends a request bigger than its budget.
var errTooLarge = errors.New("bosh: request too large")

// budgetReader reads the connection with a byte budget per request, which
// bounds what a client can make the parser buffer, as net/http's
// MaxHeaderBytes does.
type budgetReader struct {
	pre []byte // read ahead by net/http before the take-over
	nc  net.Conn
	n   int64 // bytes left for this request
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if len(r.pre) > 0 {
		n := copy(p, r.pre)
		r.pre = r.pre[n:]
		return n, nil
	}
	if r.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	n, err := r.nc.Read(p)
	r.n -= int64(n)
	return n, err
}

// hconn is one HTTP/1.1 connection taken over from net/http.
type hconn struct {
	h      *Handler
	nc     net.Conn
	in     *budgetReader
	br     *bufio.Reader
	path   string
	tls    *tls.ConnectionState
	remote string

	mu       sync.Mutex
	cur      *request      // the held request this connection answers, if any
	header   []byte        // the response header of the request in flight, up to the Content-Length line
	busy     bool          // a request is dispatched and its response not yet written
	answered bool          // the request in flight was answered
	idle     chan struct{} // a token when busy ends
	closing  bool          // close once the response in flight is written

	// Non-blocking writes of answers (plain TCP only; see tryWrite). Only
	// the one answer in flight uses them.
	raw      syscall.RawConn
	rawWrite func(fd uintptr) bool
	wb       []byte
	wn       int
}

// takeOver serves the connection of r (a POST whose body is raw) from now
// on, if net/http lets go of it. It reports false if r is still net/http's
// to answer.
func (h *Handler) takeOver(w http.ResponseWriter, r *http.Request, raw []byte) bool {
	hj, ok := w.(http.Hijacker)
	if !ok || !r.ProtoAtLeast(1, 1) || r.Close {
		return false
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return false
	}
	// Bytes net/http read ahead (a pipelined request) come first.
	pre, _ := brw.Reader.Peek(brw.Reader.Buffered())
	in := &budgetReader{pre: bytes.Clone(pre), nc: nc}
	hc := &hconn{h: h, nc: nc, in: in, br: bufio.NewReaderSize(in, 4<<10), path: r.URL.Path,
		remote: r.RemoteAddr, tls: r.TLS, idle: make(chan struct{}, 1)}
	if tc, ok := nc.(*net.TCPConn); ok {
		if hc.raw, err = tc.SyscallConn(); err == nil {
			hc.rawWrite = hc.writeNow
		} else {
			hc.raw = nil
		}
	}
	if !h.track(hc) {
		nc.Close()
		return true
	}
	defer h.untrack(hc)
	hc.serve(r, raw)
	return true
}

// track registers hc so that shutdown closes it; false once shut down.
func (h *Handler) track(hc *hconn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		return false
	}
	h.conns[hc] = struct{}{}
	return true
}

func (h *Handler) untrack(hc *hconn) {
	h.mu.Lock()
	delete(h.conns, hc)
	h.mu.Unlock()
}

// shutdown closes the connections taken over: idle ones now, one with a
// response in flight once it is written (a session ended by the shutdown
// answers its held requests with terminate).
func (h *Handler) shutdown() {
	h.mu.Lock()
	h.down = true
	conns := make([]*hconn, 0, len(h.conns))
	for hc := range h.conns {
		conns = append(conns, hc)
	}
	h.mu.Unlock()
	for _, hc := range conns {
		hc.mu.Lock()
		hc.closing = true
		busy := hc.busy
		hc.mu.Unlock()
		if !busy {
			hc.nc.Close()
		}
	}
}

// serve answers first (whose body is raw) and then every request that
// follows on the connection.
func (hc *hconn) serve(first *http.Request, raw []byte) {
	defer hc.nc.Close()
	hc.nc.SetDeadline(time.Time{})
	r := first
	for {
		if !hc.handle(r, raw) {
			hc.waitIdle()
			return
		}
		hc.nc.SetReadDeadline(time.Now().Add(hc.h.cfg.MaxWait + idleTimeout))
		hc.in.n = maxHeaderBytes + hc.h.maxBody
		next, err := http.ReadRequest(hc.br)
		if err != nil {
			if isNetErr(err) {
				// The client hung up (or went quiet): a request still
				// held for it is forgotten, so its answer waits for the
				// client's next request instead.
				hc.hangUp()
				return
			}
			// A malformed or oversized request: answered after the
			// response in flight, as net/http answers it, and the end.
			hc.waitIdle()
			hc.write(hc.h.httpError(http.StatusBadRequest, "malformed HTTP request"))
			hc.hangUp()
			hc.lingerClose()
			return
		}
		if !hc.waitIdle() {
			return
		}
		r, raw = next, nil
		r.RemoteAddr = hc.remote
		r.TLS = hc.tls
	}
}

// isNetErr tells a connection's end from a malformed request.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.As(err, &ne)
}

// waitIdle waits until the response in flight, if any, is written. It
// reports false if the connection is to be closed.
func (hc *hconn) waitIdle() bool {
	for {
		hc.mu.Lock()
		busy, closing := hc.busy, hc.closing
		hc.mu.Unlock()
		if !busy {
			return !closing
		}
		// A token left over from an earlier response only costs a turn.
		<-hc.idle
	}
}

// hangUp forgets the held request of a client that went away.
func (hc *hconn) hangUp() {
	hc.mu.Lock()
	req := hc.cur
	hc.cur = nil
	hc.closing = true
	hc.mu.Unlock()
	if req != nil {
		req.s.abandon(req)
	}
}

// handle serves one request; raw is its body if already read. It reports
// whether the connection stays open for the next request.
func (hc *hconn) handle(r *http.Request, raw []byte) bool {
	h := hc.h
	if r.URL.Path != hc.path {
		return hc.fallback(r)
	}
	keep := r.ProtoAtLeast(1, 1) && !r.Close
	origin := h.origins.Check(r)
	if !origin.Allowed() {
		hc.write(hc.h.httpError(http.StatusForbidden, "origin not allowed"))
		return keep
	}
	switch r.Method {
	case http.MethodPost:
	case http.MethodOptions:
		b := h.appendStatus(nil, http.StatusNoContent)
		b = h.appendCORS(b, r, origin)
		hc.write(append(b, "Content-Length: 0\r\n\r\n"...))
		return keep
	default:
		hc.write(h.httpError(http.StatusMethodNotAllowed, "BOSH wants POST (XEP-0124)", "Allow: POST, OPTIONS\r\n"))
		return keep
	}
	if raw == nil {
		if strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			hc.write([]byte("HTTP/1.1 100 Continue\r\n\r\n"))
		}
		var err error
		raw, err = io.ReadAll(io.LimitReader(r.Body, h.maxBody+1))
		if err != nil || int64(len(raw)) > h.maxBody {
			// What is left of the body cannot be skipped safely.
			hc.reply(r, origin, terminateBody(errBadRequest), errBadRequest)
			return false
		}
	}
	header := hc.responseHeader(r, origin)
	b, err := parseBody(raw, h.bodyLim)
	if err != nil {
		hc.writeBody(header, terminateBody(errBadRequest), errBadRequest)
		return keep
	}
	hc.mu.Lock()
	hc.busy, hc.answered, hc.header = true, false, header
	hc.mu.Unlock()
	var req *request
	var resp []byte
	if b.sid == "" {
		req, resp = h.create(r, b, origin, hc)
	} else if s := h.lookup(b.sid); s == nil {
		resp = terminateBody(errItemNotFound)
		h.metrics.errors.WithLabelValues(string(errItemNotFound)).Inc()
	} else {
		req, resp = s.receive(b, hc)
	}
	if req == nil {
		hc.mu.Lock()
		hc.busy = false
		hc.mu.Unlock()
		hc.writeBody(header, resp, "")
		return keep
	}
	hc.mu.Lock()
	if !hc.answered {
		// Held: the connection reads on, to notice a hang-up.
		hc.cur = req
	}
	if !keep {
		hc.closing = true
	}
	hc.mu.Unlock()
	return keep
}

// answer writes the response to req, which this connection holds. It is
// called under the session's lock and never blocks.
func (hc *hconn) answer(req *request, body []byte) {
	if body == nil {
		body = []byte("<body xmlns='" + NSBind + "'/>")
	}
	hc.mu.Lock()
	if !hc.busy || hc.answered {
		hc.mu.Unlock()
		return
	}
	hc.answered, hc.cur = true, nil
	b := append(appendLength(hc.header, len(body)), body...)
	hc.mu.Unlock()
	if n := hc.tryWrite(b); n < len(b) {
		go hc.finish(b[n:])
		return
	}
	hc.idleNow()
}

// tryWrite writes what the socket takes without waiting, and reports how
// much that was: usually all of it, and then the answer costs no goroutine
// and no trip through the run queue. Only a plain TCP connection can; TLS
// always goes through finish.
func (hc *hconn) tryWrite(b []byte) int {
	if hc.raw == nil {
		return 0
	}
	hc.wb = b
	if hc.raw.Write(hc.rawWrite) != nil {
		hc.wb = nil
		return 0
	}
	n := max(hc.wn, 0)
	hc.wb = nil
	return n
}

// writeNow is hc.raw's write callback; it never waits for the socket.
func (hc *hconn) writeNow(fd uintptr) bool {
	for {
		n, err := syscall.Write(int(fd), hc.wb)
		if err != syscall.EINTR {
			hc.wn = n
			return true
		}
	}
}

// finish writes a held request's response and lets the reader dispatch
// the next request.
func (hc *hconn) finish(b []byte) {
	hc.write(b)
	hc.idleNow()
}

// idleNow ends the response in flight: the reader may dispatch the next
// request.
func (hc *hconn) idleNow() {
	hc.mu.Lock()
	hc.busy = false
	closing := hc.closing
	hc.mu.Unlock()
	select {
	case hc.idle <- struct{}{}:
	default:
	}
	if closing {
		hc.nc.Close()
	}
}

// write writes one whole response; a failure closes the connection.
func (hc *hconn) write(b []byte) {
	hc.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := hc.nc.Write(b); err != nil {
		hc.nc.Close()
	}
}

// lingerClose closes after an error response to a client that may still
// be sending: closing with its bytes unread would reset the connection
// and could destroy the response before the client reads it, so the
// sending side is shut first and what arrives meanwhile is read and
// dropped, briefly (net/http does the same).
func (hc *hconn) lingerClose() {
	if tc, ok := hc.nc.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	hc.nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.Copy(io.Discard, io.LimitReader(hc.nc, 1<<20))
	hc.nc.Close()
}

// reply answers at once with body (a BOSH body, counted under cond).
func (hc *hconn) reply(r *http.Request, origin httpx.OriginVerdict, body []byte, cond condError) {
	hc.writeBody(hc.responseHeader(r, origin), body, cond)
}

func (hc *hconn) writeBody(header, body []byte, cond condError) {
	if cond != "" {
		hc.h.metrics.errors.WithLabelValues(string(cond)).Inc()
	}
	hc.write(append(appendLength(header, len(body)), body...))
}

// responseHeader is the header of a BOSH response to r, up to where the
// Content-Length line goes.
func (hc *hconn) responseHeader(r *http.Request, origin httpx.OriginVerdict) []byte {
	b := make([]byte, 0, 512)
	b = hc.h.appendStatus(b, http.StatusOK)
	b = append(b, "Content-Type: text/xml; charset=utf-8\r\nCache-Control: no-store\r\n"...)
	b = hc.h.appendCORS(b, r, origin)
	if !r.ProtoAtLeast(1, 1) || r.Close {
		b = append(b, "Connection: close\r\n"...)
	}
	return b
}

// fallback serves a request for another path with Config.Fallback and
// closes the connection after it.
func (hc *hconn) fallback(r *http.Request) bool {
	bw := &bufferedResponse{header: make(http.Header)}
	if hc.h.cfg.Fallback != nil {
		hc.h.cfg.Fallback.ServeHTTP(bw, r)
	} else {
		http.NotFound(bw, r)
	}
	if bw.status == 0 {
		bw.status = http.StatusOK
	}
	bw.header.Del("Transfer-Encoding")
	bw.header.Set("Content-Length", strconv.Itoa(bw.body.Len()))
	bw.header.Set("Connection", "close")
	if bw.header.Get("Date") == "" {
		bw.header.Set("Date", hc.h.httpDate())
	}
	var out bytes.Buffer
	out.Write(appendStatusLine(nil, bw.status))
	bw.header.Write(&out)
	out.WriteString("\r\n")
	if r.Method != http.MethodHead {
		out.Write(bw.body.Bytes())
	}
	hc.write(out.Bytes())
	return false
}

// bufferedResponse is the http.ResponseWriter of a fallback request.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// httpError is a whole plain-text error response, as http.Error writes
// it; header is more header lines, each ending in CRLF.
func (h *Handler) httpError(status int, msg string, header ...string) []byte {
	body := msg + "\n"
	b := h.appendStatus(nil, status)
	b = append(b, "Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n"...)
	for _, l := range header {
		b = append(b, l...)
	}
	b = appendLength(b, len(body))
	return append(b, body...)
}

func appendStatusLine(b []byte, status int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	return append(b, "\r\n"...)
}

// appendStatus starts a response: the status line and the Date header.
func (h *Handler) appendStatus(b []byte, status int) []byte {
	b = appendStatusLine(b, status)
	b = append(b, "Date: "...)
	b = append(b, h.httpDate()...)
	return append(b, "\r\n"...)
}

// appendLength ends a header with Content-Length and the blank line; it
// copies header, which a held request's answer shares with no one.
func appendLength(header []byte, n int) []byte {
	b := make([]byte, 0, len(header)+32+n)
	b = append(b, header...)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, "\r\n\r\n"...)
}

// dateCache is the Date header of one second.
type dateCache struct {
	sec int64
	s   string
}

// httpDate is the Date header's value, formatted once a second.
func (h *Handler) httpDate() string {
	now := time.Now()
	if d := h.date.Load(); d != nil && d.sec == now.Unix() {
		return d.s
	}
	d := &dateCache{sec: now.Unix(), s: now.UTC().Format(http.TimeFormat)}
	h.date.Store(d)
	return d.s
}
