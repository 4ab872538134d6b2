package websocket

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/framing"
	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const (
	// readChunk is the smallest read buffer: one typical stanza in one
	// read(2). A frame that does not fit grows it to the frame's size.
	readChunk = 1 << 10
	// lingerTimeout bounds the closing handshake: after our close frame the
	// peer has this long to answer before the socket is closed.
	lingerTimeout = 2 * time.Second
)

// conn is the session's view of one WebSocket: Read yields an RFC 6120
// stream, Write takes one and sends its elements one per message. It sits
// directly on the hijacked socket (or net/http's TLS conn over it).
type conn struct {
	h       *Handler
	raw     net.Conn     // the upgraded connection, TLS or not
	tcp     *net.TCPConn // the socket under raw, nil if it is not TCP
	fd      int32
	tls     *tls.ConnectionState
	cookies []*http.Cookie
	remote  net.Addr

	// Reader side: only the goroutine serving the session (one at a time,
	// parking hands it over).
	rbuf    []byte // bytes read off the socket; rbuf[r:] are not yet parsed
	r       int
	msg     []byte // a fragmented message being put together
	inMsg   bool   // a fragmented message has started
	in      []byte // translated bytes not yet handed to the session
	resumed bool   // parked, and no data frame since

	// Writer side, also taken by ping and close frames.
	wmu       sync.Mutex
	split     framing.Splitter
	closeSent bool
	wdl       atomic.Int64 // write deadline, UnixNano; 0 for none

	closed     atomic.Bool
	peerClosed atomic.Bool
	closeOnce  sync.Once
	closeMu    sync.Mutex
	closeCode  ws.StatusCode
	closeWhy   string

	// Pings (ping.go): a timer, no goroutine.
	pingMu    sync.Mutex
	pingTimer *time.Timer
	awaiting  bool        // a ping is out and its deadline is armed
	alive     atomic.Bool // a frame arrived since the last ping
}

var (
	_ c2s.StreamConn = (*conn)(nil)
	_ c2s.Parkable   = (*conn)(nil)
)

func newConn(h *Handler, raw net.Conn) *conn {
	c := &conn{h: h, raw: raw, fd: -1, closeCode: ws.StatusNormalClosure}
	under := raw
	if tc, ok := raw.(*tls.Conn); ok {
		under = tc.NetConn()
	}
	if tc, ok := under.(*net.TCPConn); ok {
		c.tcp = tc
		if rc, err := tc.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { c.fd = int32(fd) })
		}
	}
	return c
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

// next reads one message and translates the framing elements into the
// RFC 6120 stream the session reads.
func (c *conn) next() error {
	msg, err := c.readMessage()
	if err != nil {
		return err
	}
	trimmed := bytes.TrimLeft(msg, " \t\r\n")
	switch {
	case bytes.HasPrefix(trimmed, []byte("<open")):
		el, err := stream.DecodeElement(trimmed, c.h.cfg.Limits, "")
		if err != nil {
			return err
		}
		if !el.Is(stream.NSFraming, "open") {
			return stream.E(stream.InvalidNamespace, "")
		}
		c.in = appendStreamHeader(nil, el)
	case bytes.HasPrefix(trimmed, []byte("<close")):
		el, err := stream.DecodeElement(trimmed, c.h.cfg.Limits, "")
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

// readMessage returns the payload of the next text message, answering
// control frames on the way. The payload aliases the read buffer and is
// valid until the next call.
func (c *conn) readMessage() ([]byte, error) {
	for {
		h, p, err := c.readFrame()
		if err != nil {
			return nil, c.readErr(err)
		}
		c.alive.Store(true)
		switch h.op {
		case ws.OpPing:
			// Bounded like our own pings: a peer that pings and does not
			// read must not hold the session's reader.
			if err := c.writeControl(ws.OpPong, p, c.h.cfg.PingTimeout); err != nil {
				return nil, err
			}
			c.backToPark()
			continue
		case ws.OpPong:
			c.backToPark()
			continue
		case ws.OpClose:
			if len(p) == 1 {
				return nil, c.readErr(protocolError("close frame with a one-byte body"))
			}
			c.peerClosed.Store(true)
			return nil, io.EOF
		case ws.OpContinuation:
			if !c.inMsg {
				return nil, c.readErr(protocolError("continuation without a message"))
			}
		case ws.OpText:
			if c.inMsg {
				return nil, c.readErr(protocolError("new message inside a fragmented one"))
			}
		default: // binary; parseHeader refused the reserved opcodes
			c.setClose(ws.StatusUnsupportedData, "text messages only")
			return nil, stream.E(stream.BadFormat, "RFC 7395 uses text messages only")
		}
		c.resumed = false
		if h.fin && !c.inMsg {
			return p, nil
		}
		if !c.inMsg {
			c.msg = c.msg[:0]
			c.inMsg = true
		}
		c.msg = append(c.msg, p...)
		if h.fin {
			c.inMsg = false
			return c.msg, nil
		}
	}
}

// errTooLarge is a message over the stanza size limit.
var errTooLarge = errors.New("message larger than the stanza size limit")

// readErr maps a frame error to what the session should see, and picks the
// close code our close frame will carry.
func (c *conn) readErr(err error) error {
	var pe protocolError
	switch {
	case errors.As(err, &pe):
		c.setClose(ws.StatusProtocolError, string(pe))
		return stream.E(stream.BadFormat, pe.Error())
	case errors.Is(err, errTooLarge):
		c.setClose(ws.StatusPolicyViolation, "message too large")
		return stream.E(stream.PolicyViolation, errTooLarge.Error())
	}
	return err
}

// backToPark makes a session that a ping or pong woke from parking park
// again at once, instead of after park_after, unless more input is
// already there: the next read of the socket fails at once if it would
// block. (For TLS the read first returns whatever tls.Conn holds, so
// nothing buffered is stranded under a parked session.)
func (c *conn) backToPark() {
	if c.resumed && c.r == len(c.rbuf) {
		c.raw.SetReadDeadline(time.Now())
	}
}

// readFrame returns the next frame with its payload unmasked in place.
func (c *conn) readFrame() (frameHeader, []byte, error) {
	for {
		if c.closed.Load() {
			return frameHeader{}, nil, net.ErrClosed
		}
		avail := c.rbuf[c.r:]
		h, n, err := parseHeader(avail)
		if err != nil {
			return h, nil, err
		}
		need := len(avail) + 1
		if n > 0 {
			if !h.op.IsControl() && h.length > int64(c.h.cfg.Limits.MaxStanzaBytes-c.msgLen()) {
				return h, nil, errTooLarge
			}
			total := n + int(h.length)
			if len(avail) >= total {
				p := avail[n:total]
				ws.Cipher(p, h.mask, 0)
				c.r += total
				return h, p, nil
			}
			need = total
		}
		if err := c.fill(need); err != nil {
			return h, nil, err
		}
	}
}

// msgLen is the size of the fragmented message read so far.
func (c *conn) msgLen() int {
	if c.inMsg {
		return len(c.msg)
	}
	return 0
}

// fill reads from the socket until at least need bytes are unparsed.
func (c *conn) fill(need int) error {
	if c.r > 0 {
		n := copy(c.rbuf, c.rbuf[c.r:])
		c.rbuf, c.r = c.rbuf[:n], 0
	}
	if cap(c.rbuf) < need {
		b := make([]byte, len(c.rbuf), max(need, readChunk))
		copy(b, c.rbuf)
		c.rbuf = b
	}
	n, err := c.raw.Read(c.rbuf[len(c.rbuf):cap(c.rbuf)])
	c.rbuf = c.rbuf[:len(c.rbuf)+n]
	if c.closed.Load() {
		return net.ErrClosed
	}
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// SocketFD implements c2s.Parkable.
func (c *conn) SocketFD() int32 { return c.fd }

// ReleaseIdle implements c2s.Parkable.
func (c *conn) ReleaseIdle() bool {
	if c.r < len(c.rbuf) || c.inMsg || len(c.in) > 0 {
		return false
	}
	c.rbuf, c.r, c.msg, c.in = nil, 0, nil, nil
	c.resumed = true
	if c.wmu.TryLock() { // a blocked writer keeps its buffers for now
		c.split.Release()
		c.wmu.Unlock()
	}
	return true
}

// Write implements net.Conn: b holds whole elements of the session's
// stream, sent one per message, all of b in one write to the socket.
func (c *conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return 0, net.ErrClosed
	}
	out := c.getBuf()
	defer c.putBuf(out)
	var hdr []byte
	c.split.Write(b, func(u framing.Unit) error {
		switch u.Kind {
		case framing.Header:
			hdr = appendOpen(hdr[:0], u.ID, u.From)
			*out = appendFrame(*out, ws.OpText, hdr)
		case framing.Close:
			*out = appendFrame(*out, ws.OpText, []byte("<close xmlns='"+stream.NSFraming+"'/>"))
		default:
			*out = appendFrame(*out, ws.OpText, u.Data)
		}
		return nil
	})
	if len(*out) == 0 {
		return len(b), nil
	}
	c.raw.SetWriteDeadline(c.writeDeadline())
	if _, err := c.raw.Write(*out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// writeMessages sends each of msgs as a text message.
func (c *conn) writeMessages(msgs ...[]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	out := c.getBuf()
	defer c.putBuf(out)
	for _, m := range msgs {
		*out = appendFrame(*out, ws.OpText, m)
	}
	c.raw.SetWriteDeadline(c.writeDeadline())
	_, err := c.raw.Write(*out)
	return err
}

// writeControl sends one control frame within d. The session's own write
// deadline is not used: it was set for the session's last write, possibly
// long ago, and a ping after it would fail at once.
func (c *conn) writeControl(op ws.OpCode, p []byte, d time.Duration) error {
	var buf [2 + 125]byte
	b := appendFrame(buf[:0], op, p)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return net.ErrClosed
	}
	c.raw.SetWriteDeadline(time.Now().Add(d))
	_, err := c.raw.Write(b)
	c.raw.SetWriteDeadline(c.writeDeadline())
	return err
}

func (c *conn) getBuf() *[]byte {
	if v, ok := c.h.bufs.Get().(*[]byte); ok {
		*v = (*v)[:0]
		return v
	}
	b := make([]byte, 0, 4<<10)
	return &b
}

func (c *conn) putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		c.h.bufs.Put(b)
	}
}

func (c *conn) writeDeadline() time.Time {
	if dl := c.wdl.Load(); dl != 0 {
		return time.Unix(0, dl)
	}
	return time.Time{}
}

func (c *conn) setClose(code ws.StatusCode, why string) {
	c.closeMu.Lock()
	c.closeCode, c.closeWhy = code, why
	c.closeMu.Unlock()
}

// Close implements net.Conn. A Read after it fails with net.ErrClosed; the
// closing handshake runs in the background so the caller is not held by a
// slow peer.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.stopPing()
		go c.linger()
	})
	return nil
}

// linger sends our close frame and closes the socket once the peer has
// answered (or hung up, or lingerTimeout passed). Closing at once would
// make the kernel answer the peer's in-flight bytes with a reset, which
// can destroy our last frames (a stream error, say) before the peer reads
// them. A session reader still blocked on the socket reads under the same
// deadline and sees the close.
func (c *conn) linger() {
	c.closeMu.Lock()
	code, why := c.closeCode, c.closeWhy
	c.closeMu.Unlock()
	dl := time.Now().Add(lingerTimeout)
	var buf [2 + 125]byte
	c.wmu.Lock()
	c.closeSent = true
	c.raw.SetWriteDeadline(dl)
	_, err := c.raw.Write(appendClose(buf[:0], code, why))
	c.wmu.Unlock()
	if err == nil && !c.peerClosed.Load() {
		if tc, ok := c.raw.(*tls.Conn); ok {
			tc.CloseWrite()
		}
		if c.tcp != nil {
			c.tcp.CloseWrite()
		}
		c.raw.SetReadDeadline(dl)
		var sink [512]byte
		for {
			if _, err := c.raw.Read(sink[:]); err != nil {
				break
			}
		}
	}
	c.raw.Close()
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

// SetReadDeadline implements net.Conn. After Close the closing handshake
// owns the read deadline.
func (c *conn) SetReadDeadline(t time.Time) error {
	if c.closed.Load() {
		return nil
	}
	return c.raw.SetReadDeadline(t)
}

// SetWriteDeadline implements net.Conn. It also applies to a write in
// progress: the slow-consumer path of the session shortens it to cut a peer
// that stopped reading.
func (c *conn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() {
		c.wdl.Store(0)
	} else {
		c.wdl.Store(t.UnixNano())
	}
	if c.closed.Load() {
		return nil // the closing handshake owns the socket's deadline
	}
	return c.raw.SetWriteDeadline(t)
}
