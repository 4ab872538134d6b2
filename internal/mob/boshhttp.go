package mob

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// boshHTTP is the HTTP/1.1 keep-alive client of the BOSH transport: it
// POSTs bodies to one URL and nothing else. net/http's client costs two
// goroutines per connection, header maps and a channel handoff per
// request; at thousands of requests a second that machinery, not the
// server, saturated mob's core. Here a request is one Write of a
// prebuilt buffer on a pooled connection, and the response is read in
// the caller's goroutine with http.ReadResponse, which keeps the parsing
// (Content-Length, chunked, Connection: close) the standard library's.
type boshHTTP struct {
	addr    string      // host:port to dial
	host    string      // the Host header
	path    string      // the request target
	tls     *tls.Config // nil for http://
	timeout time.Duration
	// respTimeout bounds one exchange, write to last body byte: the
	// server may hold a request for its 'wait', and then has timeout.
	respTimeout time.Duration
	maxBody     int
	sources     []net.IP      // local addresses to dial from, in turn
	next        atomic.Uint64 // the next source
	bufs        sync.Pool     // *[]byte, request and body buffers

	mu   sync.Mutex
	idle []*boshHTTPConn // LIFO: the most recently used on top
}

// boshIdleTimeout is how long a pooled connection may sit idle before it
// is closed. Servers drop idle keep-alive connections well before this
// (Apache after 5 s, nginx after 75 s), so one idle longer is almost
// surely dead and holds a descriptor for nothing. The pool closes them
// lazily, on the get and put it does anyway, instead of with a timer.
const boshIdleTimeout = 2 * time.Minute

// boshMaxPooledBuf is the largest buffer kept for reuse: a rare large
// roster push must not pin its buffer for the rest of the run.
const boshMaxPooledBuf = 64 << 10

// boshHTTPConn is one keep-alive connection.
type boshHTTPConn struct {
	conn   net.Conn // what requests go over: TLS or TCP
	raw    net.Conn // the TCP connection under conn, for peerClosed
	br     *bufio.Reader
	idleAt time.Time // when it went back to the pool
}

// errBOSHBodyTooLarge is returned for a response body over maxBody.
var errBOSHBodyTooLarge = errors.New("bosh: response body too large")

// newBOSHHTTP returns a client for u (http or https). tlsCfg may be nil.
func newBOSHHTTP(u *url.URL, tlsCfg *tls.Config, timeout, respTimeout time.Duration, sources []net.IP, maxBody int) *boshHTTP {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	h := &boshHTTP{addr: net.JoinHostPort(u.Hostname(), port), host: u.Host, path: u.RequestURI(),
		timeout: timeout, respTimeout: respTimeout, maxBody: maxBody, sources: sources}
	if u.Scheme == "https" {
		if tlsCfg == nil {
			h.tls = &tls.Config{}
		} else {
			h.tls = tlsCfg.Clone()
		}
		if h.tls.ServerName == "" {
			h.tls.ServerName = u.Hostname()
		}
		// Only HTTP/1.1 is spoken here; offering nothing else keeps a
		// server from choosing h2.
		h.tls.NextProtos = []string{"http/1.1"}
	}
	return h
}

// getBuf returns an empty buffer from the pool.
func (h *boshHTTP) getBuf() *[]byte {
	if p, ok := h.bufs.Get().(*[]byte); ok {
		*p = (*p)[:0]
		return p
	}
	b := make([]byte, 0, 1024)
	return &b
}

// putBuf returns a buffer to the pool.
func (h *boshHTTP) putBuf(p *[]byte) {
	if cap(*p) <= boshMaxPooledBuf {
		h.bufs.Put(p)
	}
}

// post sends body and returns the response body. wrote, if not nil, is
// called once, as soon as the request is on the wire (before the answer,
// which a BOSH server may hold). ctx ends the request early; the exchange is
// bounded by respTimeout anyway.
func (h *boshHTTP) post(ctx context.Context, body []byte, wrote func()) ([]byte, error) {
	req := h.getBuf()
	defer h.putBuf(req)
	b := append(*req, "POST "...)
	b = append(b, h.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, h.host...)
	b = append(b, "\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	*req = b

	pc, reused, err := h.get(ctx)
	if err != nil {
		return nil, err
	}
	raw, sent, retry, err := h.exchange(ctx, pc, b, wrote)
	if err != nil && retry && reused {
		// A pooled connection the server closed while it was idle
		// (the probe in get missed it, or it closed just now).
		// net/http resends then too; a BOSH request may go again
		// with its rid (XEP-0124 §14). Once, on a new connection: a
		// second failure is the server's answer.
		if pc, err = h.dial(ctx); err != nil {
			return nil, err
		}
		if sent {
			wrote = nil
		}
		raw, _, _, err = h.exchange(ctx, pc, b, wrote)
	}
	return raw, err
}

// exchange writes req on pc and reads the response. pc goes back to the
// pool only after a complete, successful exchange that neither side
// ended; otherwise it is closed. sent reports that the Write succeeded
// (and wrote was called). retry reports an error that a stale connection
// explains: nothing of a response came, the ctx did not end, and the
// connection was found closed or reset.
func (h *boshHTTP) exchange(ctx context.Context, pc *boshHTTPConn, req []byte, wrote func()) (raw []byte, sent, retry bool, err error) {
	pc.conn.SetDeadline(time.Now().Add(h.respTimeout))
	// An ended ctx expires the deadline, which ends a blocked Write or
	// Read at once and leaves the connection to be closed below.
	stop := context.AfterFunc(ctx, func() { pc.conn.SetDeadline(time.Unix(1, 0)) })
	keep := false
	raw, sent, retry, keep, err = h.roundTrip(pc, req, wrote)
	if !stop() {
		// The ctx ended: the deadline is (or is about to be) in the
		// past, so the connection cannot be trusted again.
		keep, retry = false, false
		if err != nil {
			err = ctx.Err()
		}
	}
	if keep {
		h.put(pc)
	} else {
		pc.conn.Close()
	}
	return raw, sent, retry, err
}

// roundTrip is exchange without the deadlines and the pool; keep reports
// that the connection may serve another request.
func (h *boshHTTP) roundTrip(pc *boshHTTPConn, req []byte, wrote func()) (raw []byte, sent, retry, keep bool, err error) {
	if _, err := pc.conn.Write(req); err != nil {
		return nil, false, isStaleConnErr(err), false, err
	}
	if wrote != nil {
		wrote()
	}
	// Peek first: an error before the first byte is one a retry may
	// cure, any later one is not.
	if _, err := pc.br.Peek(1); err != nil {
		return nil, true, isStaleConnErr(err), false, err
	}
	resp, err := http.ReadResponse(pc.br, nil)
	if err != nil {
		return nil, true, false, false, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, true, false, false, fmt.Errorf("bosh: HTTP %s", resp.Status)
	}
	if raw, err = readBOSHBody(resp, h.maxBody); err != nil {
		return nil, true, false, false, err
	}
	return raw, true, false, !resp.Close, nil
}

// readBOSHBody reads resp's body to its end, up to max bytes.
func readBOSHBody(resp *http.Response, max int) ([]byte, error) {
	n := resp.ContentLength
	if n > int64(max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errBOSHBodyTooLarge, n, max)
	}
	if n >= 0 {
		// Content-Length: ReadFull stops right at the body's end, and
		// the connection is ready for the next response.
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	// Chunked, or until the server closes (then resp.Close is set):
	// read to EOF, which consumes the last chunk and the trailer.
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, fmt.Errorf("%w: over %d bytes", errBOSHBodyTooLarge, max)
	}
	return b, nil
}

// isStaleConnErr reports an error that a connection the server has
// closed gives: EOF on read, a reset or a broken pipe.
func isStaleConnErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED)
}

// get returns a pooled connection (reused) or a new one.
func (h *boshHTTP) get(ctx context.Context) (pc *boshHTTPConn, reused bool, err error) {
	for {
		pc = nil
		var stale []*boshHTTPConn
		h.mu.Lock()
		if n := len(h.idle); n > 0 {
			pc = h.idle[n-1]
			h.idle[n-1] = nil
			h.idle = h.idle[:n-1]
			if time.Since(pc.idleAt) > boshIdleTimeout {
				// The top is the newest: all of them are stale.
				stale = append(h.idle, pc)
				h.idle = nil
				pc = nil
			}
		}
		h.mu.Unlock()
		for _, s := range stale {
			s.conn.Close()
		}
		if pc == nil {
			pc, err = h.dial(ctx)
			return pc, false, err
		}
		if !peerClosed(pc.raw) {
			return pc, true, nil
		}
		pc.conn.Close()
	}
}

// put returns pc to the pool, and closes the connections at its bottom
// that have been idle for boshIdleTimeout.
func (h *boshHTTP) put(pc *boshHTTPConn) {
	// A pooled connection has no deadline: an expired one would fail the
	// probe in get.
	pc.conn.SetDeadline(time.Time{})
	now := time.Now()
	pc.idleAt = now
	var stale []*boshHTTPConn
	h.mu.Lock()
	n := 0
	for n < len(h.idle) && now.Sub(h.idle[n].idleAt) > boshIdleTimeout {
		n++
	}
	if n > 0 {
		stale = append(stale, h.idle[:n]...)
		k := copy(h.idle, h.idle[n:])
		clear(h.idle[k:])
		h.idle = h.idle[:k]
	}
	h.idle = append(h.idle, pc)
	h.mu.Unlock()
	for _, s := range stale {
		s.conn.Close()
	}
}

// closeIdle closes the pooled connections.
func (h *boshHTTP) closeIdle() {
	h.mu.Lock()
	idle := h.idle
	h.idle = nil
	h.mu.Unlock()
	for _, pc := range idle {
		pc.conn.Close()
	}
}

// dial opens a new connection, from the next source address, and does
// the TLS handshake for https.
func (h *boshHTTP) dial(ctx context.Context) (*boshHTTPConn, error) {
	d := net.Dialer{Timeout: h.timeout}
	if len(h.sources) > 0 {
		d.LocalAddr = &net.TCPAddr{IP: h.sources[int(h.next.Add(1)-1)%len(h.sources)]}
	}
	raw, err := d.DialContext(ctx, "tcp", h.addr)
	if err != nil {
		return nil, err
	}
	conn := raw
	if h.tls != nil {
		tc := tls.Client(raw, h.tls)
		hctx, cancel := ctx, context.CancelFunc(func() {})
		if h.timeout > 0 {
			hctx, cancel = context.WithTimeout(ctx, h.timeout)
		}
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, err
		}
		conn = tc
	}
	return &boshHTTPConn{conn: conn, raw: raw, br: bufio.NewReader(conn)}, nil
}
