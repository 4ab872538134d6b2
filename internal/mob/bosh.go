package mob

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// BOSH is the XEP-0124/XEP-0206 transport: the stream rides on HTTP
// requests, each a <body/> with the next rid. A Conn schedules its requests
// as browser BOSH libraries do: at most 'requests' (2) in flight; queued
// writes go out at once in a new request when one is free, and an empty
// request goes out only when none is in flight, so the server always holds
// one to push with. A request that carried writes is then the one held
// (XEP-0124 §10 answers the older one), which makes a sent message cost
// one request instead of a send plus a re-poll. TLS is the URL's (https).
type BOSH struct {
	URL     string
	Timeout time.Duration
	// Wait is the 'wait' asked of the server: how long it may hold a poll.
	// NewBOSH sets it to boshWait and bounds each exchange by it plus
	// Timeout (the HTTP client's deadline); do not raise it.
	Wait time.Duration
	// PollDelay is how long an empty poll waits after the last answer
	// when nothing is in flight, as browser libraries' idle tick does
	// (strophe.js: 100 ms). A write in the meantime goes out instead and
	// becomes the held request. 0 polls at once. NewBOSH sets
	// DefaultBOSHPollDelay.
	PollDelay time.Duration
	http      *boshHTTP
	secure    bool
	sent      atomic.Uint64 // requests made, for Requests
}

// boshWait is the 'wait' mob asks for.
const boshWait = 30 * time.Second

// DefaultBOSHPollDelay is BOSH.PollDelay unless set. Without any delay the
// poll and the write that follows it microseconds later (a restart after
// SASL, a bind after the restart) reach the server together on two
// connections, which ejabberd 23.01 mishandles: it holds both until the
// session times out. 10 ms is well under a browser library's idle tick and
// costs a message that arrives within it at most that much.
const DefaultBOSHPollDelay = 10 * time.Millisecond

var (
	_ Transport      = (*BOSH)(nil)
	_ RequestCounter = (*BOSH)(nil)
)

// NewBOSH checks an http:// or https:// URL and returns the transport and
// the URL's host, for CheckTarget. sources are local addresses to dial
// from in turn (may be empty).
func NewBOSH(raw string, tlsCfg *tls.Config, timeout time.Duration, sources []net.IP) (*BOSH, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("--url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, "", fmt.Errorf("--url %q: want http://host:port/http-bind or https://...", raw)
	}
	// Every session keeps up to two requests in flight, so the idle pool
	// holds up to two connections per session, without a cap, or
	// requests would dial anew.
	hc := newBOSHHTTP(u, tlsCfg, timeout, boshWait+timeout, sources, mobLimits.MaxStanzaBytes)
	return &BOSH{URL: raw, Timeout: timeout, Wait: boshWait, PollDelay: DefaultBOSHPollDelay, http: hc,
		secure: u.Scheme == "https"}, u.Hostname(), nil
}

// Name implements Transport.
func (b *BOSH) Name() string { return "bosh" }

// Requests implements RequestCounter: the HTTP requests made so far.
func (b *BOSH) Requests() uint64 { return b.sent.Load() }

// Dial implements Transport: the session is created by the first Open.
func (b *BOSH) Dial(ctx context.Context) (Conn, error) {
	var r [8]byte
	rand.Read(r[:])
	c := &boshConn{t: b, in: make(chan boshItem, 256), done: make(chan struct{}),
		requests: 1}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.rid = int64(binary.BigEndian.Uint64(r[:]) % (1 << 40))
	return c, nil
}

type boshItem struct {
	el  *stream.Element
	err error
}

type boshConn struct {
	t        *BOSH
	in       chan boshItem
	deadline atomic.Pointer[time.Time]
	done     chan struct{}
	once     sync.Once
	// ctx ends the requests still in flight when the conn closes.
	ctx    context.Context
	cancel context.CancelFunc

	// The request scheduler; mu guards it.
	mu       sync.Mutex
	sid      string
	rid      int64  // the last rid given to a request
	requests int    // requests the server allows in flight (creation response)
	inflight int    // requests sent and not answered
	out      []byte // elements written and not yet sent
	restart  string // the attributes of a restart waiting for its request
	running  bool   // the session exists: the scheduler may send
	workers  int    // goroutines running requests
	jobs     chan boshJob
	// written is closed once the last request handed to a worker has
	// been written to its connection: the next request waits for it, so
	// rids reach the server in order (see exchange).
	written chan struct{}
	// poll is the timer of a delayed empty poll; polling that it is set.
	poll    *time.Timer
	polling bool
	pollDue bool // pollNow is sending the empty poll

	dmu     sync.Mutex // one answer's items reach Next together
	stopped bool       // a request failed, the session ended or the conn closed
}

const nsHTTPBind = "http://jabber.org/protocol/httpbind"

// post sends one body and returns the response body and its items: its
// elements, a stream error, and io.EOF once the session ended. wrote, if
// not nil, is called once the request is on the wire.
func (c *boshConn) post(ctx context.Context, rid int64, sid, attrs string, payload []byte, wrote func()) (*stream.Element, []boshItem, error) {
	buf := c.t.http.getBuf()
	defer c.t.http.putBuf(buf)
	b := append(*buf, "<body xmlns='"+nsHTTPBind+"' xmlns:xmpp='urn:xmpp:xbosh' rid='"...)
	b = strconv.AppendInt(b, rid, 10)
	b = append(b, '\'')
	if sid != "" {
		b = append(b, " sid='"...)
		b = append(b, sid...)
		b = append(b, '\'')
	}
	b = append(b, attrs...)
	if len(payload) == 0 {
		b = append(b, "/>"...)
	} else {
		b = append(b, '>')
		b = append(b, payload...)
		b = append(b, "</body>"...)
	}
	*buf = b
	c.t.sent.Add(1)
	raw, err := c.t.http.post(ctx, b, wrote)
	if err != nil {
		return nil, nil, err
	}
	body, err := stream.DecodeElement(raw, mobLimits, nsHTTPBind)
	if err != nil {
		return nil, nil, err
	}
	var items []boshItem
	for el := range body.Elements() {
		if el.Is(stream.NSStream, "error") {
			items = append(items, boshItem{err: streamError(el)})
			continue
		}
		items = append(items, boshItem{el: el})
	}
	if body.Attr("type") == "terminate" {
		if cond := body.Attr("condition"); cond != "" && cond != "remote-stream-error" {
			items = append(items, boshItem{err: &StreamError{Condition: cond}})
		}
		return body, append(items, boshItem{err: io.EOF}), io.EOF
	}
	return body, items, nil
}

// pumpLocked sends what the scheduler may: queued writes whenever a
// request is free, a pending restart, and an empty request when none is in
// flight (the one the server holds to push with). c.mu is held.
func (c *boshConn) pumpLocked() {
	for c.running && !c.stopped && c.inflight < c.requests {
		var attrs string
		var payload []byte
		switch {
		case len(c.out) > 0:
			payload, c.out = c.out, nil
		case c.restart != "":
			attrs, c.restart = c.restart, ""
		case c.inflight == 0:
			if c.t.PollDelay > 0 && !c.pollDue {
				if !c.polling {
					c.polling = true
					if c.poll == nil {
						c.poll = time.AfterFunc(c.t.PollDelay, c.pollNow)
					} else {
						c.poll.Reset(c.t.PollDelay)
					}
				}
				return
			}
		default:
			return
		}
		c.pollDue = false
		c.inflight++
		c.rid++
		if c.workers < c.inflight {
			// A worker per request in flight, kept for the conn's life:
			// a goroutine per request would grow a new stack through
			// the HTTP exchange every time.
			c.workers++
			go c.work()
		}
		w := make(chan struct{})
		c.jobs <- boshJob{rid: c.rid, attrs: attrs, payload: payload, after: c.written, written: w}
		c.written = w
	}
}

// pollNow sends the delayed empty poll, unless a write went out since.
func (c *boshConn) pollNow() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.polling = false
	if c.inflight == 0 {
		c.pollDue = true
		c.pumpLocked()
		c.pollDue = false
	}
}

// boshJob is one request for a worker.
type boshJob struct {
	rid     int64
	attrs   string
	payload []byte
	after   <-chan struct{} // closed when the previous request was written; nil for none
	written chan struct{}   // closed when this one was written (or failed)
}

// work runs requests until the conn closes.
func (c *boshConn) work() {
	for {
		select {
		case j := <-c.jobs:
			c.exchange(j)
		case <-c.done:
			return
		}
	}
}

// exchange runs one request of the established session. It starts only
// once the previous request is on the wire: the two workers' requests
// travel on different connections, and a server must then put them back
// in rid order (XEP-0124 §9.1), which ejabberd 23.01 does not do when the
// newer one arrives first (it holds both until the session times out).
// Browser libraries send one request after the other too.
func (c *boshConn) exchange(j boshJob) {
	if j.after != nil {
		select {
		case <-j.after:
		case <-c.done:
		}
	}
	var once sync.Once
	wrote := func() { once.Do(func() { close(j.written) }) }
	// The HTTP client's deadline bounds the request; c.ctx ends it at
	// Close.
	_, items, err := c.post(c.ctx, j.rid, c.sid, j.attrs, j.payload, wrote)
	wrote()
	c.mu.Lock()
	c.inflight--
	if err != nil {
		c.stopped = true
	} else {
		c.pumpLocked()
	}
	c.mu.Unlock()
	if err != nil && !errors.Is(err, io.EOF) {
		items = append(items, boshItem{err: err})
	}
	c.deliver(items)
}

// deliver hands an answer's items to Next as it arrives. Not in rid
// order: a server answers the request it held longest first, which is the
// newer one when two arrived out of order, and the stream's order is the
// order of its answers; waiting for the older rid would stall behind a
// held poll.
func (c *boshConn) deliver(items []boshItem) {
	if len(items) == 0 {
		return
	}
	c.dmu.Lock()
	defer c.dmu.Unlock()
	for _, it := range items {
		c.push(it)
	}
}

func (c *boshConn) push(it boshItem) {
	select {
	case c.in <- it:
	case <-c.done:
	}
}

// Open implements Conn: session creation the first time, an XEP-0206
// restart after SASL.
func (c *boshConn) Open(domain string) (*stream.Element, error) {
	c.mu.Lock()
	created := c.running
	if !created {
		c.rid++
	} else {
		c.restart = " xmpp:restart='true' to='" + string(stream.EscapeAttr(nil, domain)) + "'"
		c.pumpLocked()
	}
	rid := c.rid
	c.mu.Unlock()
	if !created {
		var a []byte
		a = append(a, " to='"...)
		a = stream.EscapeAttr(a, domain)
		a = append(a, "' wait='"...)
		a = strconv.AppendInt(a, int64(c.t.Wait/time.Second), 10)
		a = append(a, "' hold='1' ver='1.11' xmpp:version='1.0' xml:lang='en'"...)
		ctx, cancel := context.WithTimeout(c.ctx, c.t.Timeout+c.t.Wait)
		body, items, err := c.post(ctx, rid, "", string(a), nil, nil)
		cancel()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		sid := ""
		if body != nil {
			sid = body.Attr("sid")
		}
		if err == nil && sid == "" {
			return nil, errors.New("bosh: no sid in the session creation response")
		}
		c.mu.Lock()
		c.sid = sid
		if n, perr := strconv.Atoi(body.Attr("requests")); perr == nil && n > 0 {
			c.requests = n
		} else {
			// XEP-0124 §7.1: a server that names no limit allows hold+1.
			c.requests = 2
		}
		c.running = err == nil
		c.jobs = make(chan boshJob, c.requests)
		c.stopped = err != nil
		c.pumpLocked()
		c.mu.Unlock()
		c.deliver(items)
	}
	for {
		el, err := c.Next()
		if err != nil {
			return nil, err
		}
		if el.Is(stream.NSStream, "features") {
			return el, nil
		}
	}
}

// StartTLS implements Conn.
func (c *boshConn) StartTLS() error { return ErrNoStartTLS }

// Encrypted implements Conn.
func (c *boshConn) Encrypted() bool { return c.t.secure }

// Write implements Conn: b joins the queue, and goes out now if a request
// is free, else with the next one.
func (c *boshConn) Write(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return net.ErrClosed
	}
	c.out = append(c.out, b...)
	c.pumpLocked()
	return nil
}

// Next implements Conn.
func (c *boshConn) Next() (*stream.Element, error) {
	var timeout <-chan time.Time
	if d := c.deadline.Load(); d != nil && !d.IsZero() {
		t := time.NewTimer(time.Until(*d))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case it := <-c.in:
		return it.el, it.err
	case <-timeout:
		return nil, fmt.Errorf("bosh: read: %w", errTimeout)
	case <-c.done:
		return nil, io.EOF
	}
}

var errTimeout = errors.New("i/o timeout")

// SetReadDeadline implements Conn.
func (c *boshConn) SetReadDeadline(t time.Time) error { c.deadline.Store(&t); return nil }

// Close implements Conn: terminate, briefly, then end the requests in
// flight. The terminate body may exceed 'requests' (XEP-0124 §12 lets it).
func (c *boshConn) Close() error {
	c.once.Do(func() {
		c.mu.Lock()
		live := c.sid != "" && !c.stopped
		c.stopped = true
		c.rid++
		rid, sid := c.rid, c.sid
		c.mu.Unlock()
		if live {
			ctx, cancel := context.WithTimeout(c.ctx, 500*time.Millisecond)
			c.post(ctx, rid, sid, " type='terminate'", []byte("<presence xmlns='jabber:client' type='unavailable'/>"), nil)
			cancel()
		}
		close(c.done)
		c.cancel()
	})
	return nil
}
