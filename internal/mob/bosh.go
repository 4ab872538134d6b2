package mob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// BOSH is the XEP-0124/XEP-0206 transport: the stream rides on HTTP
// requests, each a <body/> with the next rid. A Conn keeps one long-poll
// request open (hold=1) so the server can push; Write posts its elements
// in a request of its own, which the server answers at the latest when the
// next long-poll arrives. TLS is the URL's (https).
type BOSH struct {
	URL     string
	Timeout time.Duration
	// Wait is the 'wait' asked of the server: how long it may hold a poll.
	Wait   time.Duration
	client *http.Client
	secure bool
}

var _ Transport = (*BOSH)(nil)

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
	var next atomic.Uint64
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		if len(sources) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: sources[int(next.Add(1)-1)%len(sources)]}
		}
		return d.DialContext(ctx, network, addr)
	}
	tr := &http.Transport{DialContext: dialer, TLSClientConfig: tlsCfg, ForceAttemptHTTP2: false,
		TLSHandshakeTimeout: timeout, MaxIdleConnsPerHost: 1 << 16, MaxIdleConns: 1 << 16, IdleConnTimeout: 2 * time.Minute}
	return &BOSH{URL: raw, Timeout: timeout, Wait: 30 * time.Second, client: &http.Client{Transport: tr},
		secure: u.Scheme == "https"}, u.Hostname(), nil
}

// Name implements Transport.
func (b *BOSH) Name() string { return "bosh" }

// Dial implements Transport: the session is created by the first Open.
func (b *BOSH) Dial(ctx context.Context) (Conn, error) {
	var r [8]byte
	rand.Read(r[:])
	c := &boshConn{t: b, in: make(chan boshItem, 256), done: make(chan struct{}), outSig: make(chan struct{}, 1)}
	c.rid.Store(int64(binary.BigEndian.Uint64(r[:]) % (1 << 40)))
	return c, nil
}

type boshItem struct {
	el  *stream.Element
	err error
}

type boshConn struct {
	t        *BOSH
	sid      string
	rid      atomic.Int64
	in       chan boshItem
	deadline atomic.Pointer[time.Time]
	wmu      sync.Mutex
	done     chan struct{}
	once     sync.Once
	polling  bool

	// Write queues; one sender goroutine posts what is queued in one
	// request at a time, as browser BOSH clients batch, so a Write never
	// waits for a round trip and no more than 'requests' (2) are open.
	outMu   sync.Mutex
	out     []byte
	outSig  chan struct{}
	sending bool
}

const nsHTTPBind = "http://jabber.org/protocol/httpbind"

// post sends one body and queues the elements of the answer.
func (c *boshConn) post(ctx context.Context, attrs string, payload []byte) (*stream.Element, error) {
	rid := c.rid.Add(1)
	var b []byte
	b = append(b, "<body xmlns='"+nsHTTPBind+"' xmlns:xmpp='urn:xmpp:xbosh' rid='"...)
	b = strconv.AppendInt(b, rid, 10)
	b = append(b, '\'')
	if c.sid != "" {
		b = append(b, " sid='"...)
		b = append(b, c.sid...)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.t.URL, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := c.t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, int64(mobLimits.MaxStanzaBytes)))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bosh: HTTP %s", resp.Status)
	}
	body, err := stream.DecodeElement(raw, mobLimits, nsHTTPBind)
	if err != nil {
		return nil, err
	}
	for el := range body.Elements() {
		if el.Is(stream.NSStream, "error") {
			c.push(boshItem{err: streamError(el)})
			continue
		}
		c.push(boshItem{el: el})
	}
	if body.Attr("type") == "terminate" {
		if cond := body.Attr("condition"); cond != "" && cond != "remote-stream-error" {
			c.push(boshItem{err: &StreamError{Condition: cond}})
		}
		c.push(boshItem{err: io.EOF})
		return body, io.EOF
	}
	return body, nil
}

func (c *boshConn) push(it boshItem) {
	select {
	case c.in <- it:
	case <-c.done:
	}
}

// poll keeps one long-poll request open until the conn closes.
func (c *boshConn) poll() {
	for {
		select {
		case <-c.done:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.t.Wait+c.t.Timeout)
		_, err := c.post(ctx, "", nil)
		cancel()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.push(boshItem{err: err})
			}
			return
		}
	}
}

// Open implements Conn: session creation the first time, an XEP-0206
// restart after SASL.
func (c *boshConn) Open(domain string) (*stream.Element, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.t.Timeout+c.t.Wait)
	defer cancel()
	if c.sid == "" {
		var a []byte
		a = append(a, " to='"...)
		a = stream.EscapeAttr(a, domain)
		a = append(a, "' wait='"...)
		a = strconv.AppendInt(a, int64(c.t.Wait/time.Second), 10)
		a = append(a, "' hold='1' ver='1.11' xmpp:version='1.0' xml:lang='en'"...)
		body, err := c.post(ctx, string(a), nil)
		if err != nil {
			return nil, err
		}
		if c.sid = body.Attr("sid"); c.sid == "" {
			return nil, errors.New("bosh: no sid in the session creation response")
		}
	} else {
		c.wmu.Lock()
		_, err := c.post(ctx, " xmpp:restart='true' to='"+string(stream.EscapeAttr(nil, domain))+"'", nil)
		c.wmu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	if !c.polling {
		c.polling = true
		go c.poll()
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

// Write implements Conn: b joins the queue the sender posts.
func (c *boshConn) Write(b []byte) error {
	c.outMu.Lock()
	c.out = append(c.out, b...)
	if !c.sending {
		c.sending = true
		go c.send()
	}
	c.outMu.Unlock()
	select {
	case c.outSig <- struct{}{}:
	default:
	}
	return nil
}

// send posts queued elements, one request at a time, until the conn closes.
func (c *boshConn) send() {
	for {
		select {
		case <-c.outSig:
		case <-c.done:
			return
		}
		c.outMu.Lock()
		payload := c.out
		c.out = nil
		c.outMu.Unlock()
		if len(payload) == 0 {
			continue
		}
		c.wmu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), c.t.Wait+c.t.Timeout)
		_, err := c.post(ctx, "", payload)
		cancel()
		c.wmu.Unlock()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.push(boshItem{err: err})
			}
			return
		}
	}
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

// Close implements Conn: terminate, briefly, then stop polling.
func (c *boshConn) Close() error {
	c.once.Do(func() {
		if c.sid != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			c.post(ctx, " type='terminate'", []byte("<presence xmlns='jabber:client' type='unavailable'/>"))
			cancel()
		}
		close(c.done)
	})
	return nil
}
