package c2s

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// state is where a session is in the RFC 6120 negotiation.
type state uint8

const (
	stateHeader      state = iota // waiting for the initial stream header
	stateNeedTLS                  // STARTTLS is required and not done
	stateAuth                     // SASL not done
	stateSASL                     // a SASL exchange is running
	stateBind                     // authenticated, resource not bound
	stateEstablished              // bound: stanzas are routed
)

// writeTimeout bounds one batched write; a peer that takes longer to accept
// bytes is not reading and is cut off.
const writeTimeout = 30 * time.Second

// session is one client connection: one reader goroutine running the state
// machine and an on-demand writer draining its outbound queue.
type session struct {
	srv  *Server
	lis  *listener
	id   string
	raw  net.Conn
	nb   *nbConn  // raw with non-blocking writes, nil if raw is not TCP
	conn net.Conn // raw or nb, or the TLS conn on top of them
	tls  bool
	dec  *stream.Decoder
	ctx  context.Context
	stop context.CancelFunc
	fd   int32 // the socket's descriptor for the poller, -1 if none

	state        state
	headerSent   bool
	host         string
	lang         string
	deadline     time.Time // handshake deadline until bound
	authFailures int
	sasl         auth.Exchange
	saslMech     string
	username     string
	jid          jid.JID
	full         string
	available    bool
	lastPresence *stream.Element // last available broadcast presence
	kicked       atomic.Pointer[stream.Error]
	lastInput    time.Time // when the last bytes arrived (idle timeout)

	// Parking (park.go): parked is set while no goroutine serves the
	// session; parkMu orders parking against the connection's close.
	parked     atomic.Bool
	parkMu     sync.Mutex
	connClosed bool
	idleTimer  *time.Timer

	out outbound
}

func newSession(srv *Server, lis *listener, conn net.Conn) *session {
	s := &session{srv: srv, lis: lis, id: newID(), raw: conn, conn: conn, fd: socketFD(conn)}
	if pc, ok := conn.(Parkable); ok {
		s.fd = pc.SocketFD()
	}
	s.out.init(lis.cfg.OutboundQueueBytes, &srv.pool, s.writeConn, s.closeConn)
	if s.nb = newNBConn(conn); s.nb != nil {
		s.conn = s.nb
		s.out.inline = true
		s.out.backlog = s.nb.Backlog
	}
	return s
}

// logAt logs one session event. The session's attributes ("session",
// "remote", "listener", then "user" and "jid" once known) are added only when
// level is enabled, so a session keeps no logger of its own: slog's With
// would copy the handler and preformat the attributes for every connection.
func (s *session) logAt(level slog.Level, msg string, args ...any) {
	l := s.srv.log
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := make([]any, 0, 10+len(args))
	attrs = append(attrs, "session", s.id, "remote", s.raw.RemoteAddr().String(), "listener", s.lis.cfg.Name)
	if s.username != "" {
		attrs = append(attrs, "user", s.username)
	}
	if s.full != "" {
		attrs = append(attrs, "jid", s.full)
	}
	l.Log(ctx, level, msg, append(attrs, args...)...)
}

func newID() string {
	var b [10]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func (s *session) writeConn(b []byte) error {
	if s.nb == nil {
		s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	} // else the write cannot block, and nbConn's drain sets its own deadline
	_, err := s.conn.Write(b)
	return err
}

// Read implements io.Reader for the decoder. Until the session is bound the
// handshake deadline applies; then the idle timeout, counted from the last
// bytes received, or sooner the moment to park (park.go).
func (s *session) Read(p []byte) (int, error) {
	d := s.deadline
	if s.state == stateEstablished {
		d = s.readDeadline(time.Now())
	}
	s.conn.SetReadDeadline(d)
	n, err := s.conn.Read(p)
	if n > 0 && s.state == stateEstablished {
		s.lastInput = time.Now()
	}
	return n, err
}

// serve runs the session: its first goroutine negotiates TLS if the
// listener is direct, then reads. The session outlives the goroutine if it
// parks.
func (s *session) serve(ctx context.Context) {
	// The session's context ends with the session, not with the listener's:
	// at shutdown every session is kicked and flushed first. Not deriving
	// from a cancellable parent also spares the parent a registry entry per
	// connection.
	s.ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	s.deadline = time.Now().Add(s.lis.cfg.HandshakeTimeout)
	s.srv.metrics.connections.WithLabelValues(s.lis.transport).Inc()
	if s.lis.cfg.Mode == ModeDirect {
		if err := s.handshakeTLS(); err != nil {
			s.logAt(slog.LevelDebug, "direct TLS handshake failed", "err", err)
			s.srv.metrics.closed("tls_failed")
			s.cleanup()
			return
		}
	}
	s.dec = stream.NewDecoder(s, s.lis.cfg.Limits)
	s.run()
}

// run reads and handles tokens until the session ends, then cleans up; or
// until it parks, leaving the session to the goroutine that wakes it.
func (s *session) run() {
	parked := false
	defer func() {
		// A bug in session code must cost one session, never the process
		// (net/http does the same for handlers).
		if p := recover(); p != nil {
			s.logAt(slog.LevelError, "session panicked", "panic", p, "stack", string(debug.Stack()))
			s.fail(stream.E(stream.InternalServerError, ""))
			parked = false
		}
		if !parked {
			s.cleanup()
		}
	}()
	for {
		tok, err := s.dec.Next()
		if err == nil {
			s.out.cork()
			err = s.handleToken(tok)
			s.out.uncork()
		}
		if err == nil {
			continue
		}
		if isTimeout(err) && s.state == stateEstablished && s.kicked.Load() == nil && !s.idleExpired() {
			if parked = s.park(); parked {
				return
			}
			continue // the read fails again at once if the connection closed
		}
		s.finish(err)
		return
	}
}

// errStreamClosed ends the loop after the peer closed its stream cleanly.
var errStreamClosed = errors.New("stream closed by peer")

func (s *session) handleToken(tok stream.Token) error {
	switch tok.Kind {
	case stream.KindStreamStart:
		if s.state != stateHeader {
			return stream.E(stream.NotWellFormed, "unexpected stream header")
		}
		return s.handleHeader(tok)
	case stream.KindStreamEnd:
		return errStreamClosed
	case stream.KindStanza:
		s.srv.metrics.in(tok.Elem)
		return s.handleElement(tok.Elem)
	}
	return stream.E(stream.NotWellFormed, "")
}

func (s *session) handleElement(el *stream.Element) error {
	switch s.state {
	case stateNeedTLS:
		if el.Is(stream.NSTLS, "starttls") {
			return s.startTLS()
		}
		return stream.E(stream.PolicyViolation, "STARTTLS is required")
	case stateAuth, stateSASL:
		if el.Space == stream.NSSASL {
			return s.handleSASL(el)
		}
		if el.Is(stream.NSTLS, "starttls") {
			return s.startTLS()
		}
		if el.Is(stream.NSClient, "iq") && s.state == stateAuth && (s.tls || s.lis.cfg.Mode == ModePlain) {
			// XEP-0077 registration before authentication, over TLS only.
			if reply := s.srv.router.PreAuthIQ(s.ctx, s.domainJID(), el); reply != nil {
				reply.RemoveAttr("to")
				s.send(reply)
				return nil
			}
		}
		return stream.E(stream.NotAuthorized, "authenticate first")
	case stateBind:
		if el.Is(stream.NSClient, "iq") {
			if b := el.Child(stream.NSBind, "bind"); b != nil && el.Attr("type") == stanza.IQSet {
				return s.handleBind(el, b)
			}
			// Session-less IQs before bind get an error, not a closed stream.
			if t := el.Attr("type"); t == stanza.IQGet || t == stanza.IQSet {
				s.send(stanza.ErrorReply(el, stanza.NewError(stanza.NotAllowed, "bind a resource first")))
				return nil
			}
		}
		return stream.E(stream.NotAuthorized, "bind a resource first")
	case stateEstablished:
		return s.handleStanza(el)
	}
	return stream.E(stream.NotWellFormed, "")
}

// send queues one element to the client.
func (s *session) send(el *stream.Element) bool {
	ok := s.out.enqueue(func(b []byte) []byte { return el.AppendXML(b, stream.NSClient) })
	if ok {
		s.srv.metrics.out(el)
	}
	return ok
}

// sendRaw queues pre-serialized bytes.
func (s *session) sendRaw(raw []byte) bool {
	return s.out.enqueue(func(b []byte) []byte { return append(b, raw...) })
}

// finish ends the session after err: a stream error is written to the peer,
// a clean close is answered with our close tag, I/O errors just close.
func (s *session) finish(err error) {
	var se *stream.Error
	var ne net.Error
	switch {
	case errors.As(err, &se):
	case errors.Is(err, errClosing):
		return
	case errors.Is(err, errStreamClosed):
		s.srv.metrics.closed("peer_closed")
		s.out.close([]byte("</stream:stream>"))
		return
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		if k := s.kicked.Load(); k != nil {
			se = k
		} else {
			se = stream.E(stream.ConnectionTimeout, "")
		}
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		s.srv.metrics.closed("disconnected")
		s.out.close(nil)
		return
	default:
		s.logAt(slog.LevelDebug, "connection error", "err", err)
		s.srv.metrics.closed("io_error")
		s.out.close(nil)
		return
	}
	s.fail(se)
}

// fail writes a stream error and closes. Before our stream header went out
// RFC 6120 §4.9.1.2 wants a header first.
func (s *session) fail(se *stream.Error) {
	s.logAt(slog.LevelDebug, "stream error", "condition", string(se.Condition), "text", se.Text)
	s.srv.metrics.closed(string(se.Condition))
	var b []byte
	if !s.headerSent {
		b = s.header(b, s.host)
		s.headerSent = true
	}
	b = se.AppendXML(b)
	b = append(b, "</stream:stream>"...)
	s.out.close(b)
}

// Kick implements router.Session: end the stream with err from another
// goroutine (conflict, shutdown). The reader notices the closed connection.
func (s *session) Kick(err *stream.Error) {
	s.kicked.Store(err)
	s.srv.metrics.closed(string(err.Condition))
	s.out.close(append(err.AppendXML(nil), "</stream:stream>"...))
}

// Deliver implements router.Session.
func (s *session) Deliver(el *stream.Element) bool {
	if s.send(el) {
		return true
	}
	s.out.mu.Lock()
	slow := s.out.overflow && !s.out.cut
	s.out.cut = s.out.overflow
	s.out.mu.Unlock()
	if slow {
		// The writer may sit in a Write the peer never drains: give the stream
		// error a short chance, then the write fails and the conn closes.
		// Only once: deliveries that keep failing must not keep pushing the
		// deadline out, and the metric counts sessions, not stanzas.
		s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		s.srv.metrics.slowConsumers.Inc()
	}
	return false
}

func (s *session) cleanup() {
	if s.state == stateEstablished {
		// Hooks and routing below outlive the connection's context.
		s.ctx = context.WithoutCancel(s.ctx)
		s.srv.router.Unbind(s.jid, s)
		last := s.lastPresence
		if s.available {
			// RFC 6121 §4.5.1: a session that ends without unavailable
			// presence gets one on its behalf, through the same path as a
			// client's, so contacts and directed-presence peers hear of it.
			p := stream.NewElement(stream.NSClient, "presence", "type", stanza.PresenceUnavailable, "from", s.full)
			ev := s.ownPresence(p)
			s.route(stanza.KindPresence, p)
			router.RunEvent(s.ctx, s.srv.router, &s.srv.router.Hooks().PresenceChanged, ev)
		}
		router.RunEvent(s.ctx, s.srv.router, &s.srv.router.Hooks().SessionClosed,
			&router.SessionEvent{JID: s.jid, Session: s, LastPresence: last})
	}
	s.out.close(nil)
	s.out.flush()
	s.detach()
	s.conn.Close()
	s.parkMu.Lock()
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	s.parkMu.Unlock()
	if s.stop != nil {
		s.stop()
	}
	if s.dec != nil {
		s.dec.Release()
	}
	s.srv.metrics.connections.WithLabelValues(s.lis.transport).Dec()
	if s.state == stateEstablished {
		s.srv.metrics.sessions.WithLabelValues(s.lis.transport).Dec()
	}
	s.endAnonymous()
	s.srv.forget(s)
	s.logAt(slog.LevelDebug, "session closed")
	s.srv.wg.Done()
}

func (s *session) handshakeTLS() error {
	tc := tls.Server(s.conn, s.srv.tls) // s.conn is raw or nb here
	tc.SetDeadline(s.deadline)
	if err := tc.HandshakeContext(s.ctx); err != nil {
		return err
	}
	tc.SetDeadline(time.Time{})
	s.conn = tc
	s.tls = true
	return nil
}

func (s *session) startTLS() error {
	if s.tls || s.lis.cfg.Mode == ModePlain || s.srv.tls == nil {
		s.sendRaw([]byte("<failure xmlns='" + stream.NSTLS + "'/></stream:stream>"))
		s.out.close(nil)
		return errClosing
	}
	s.sendRaw([]byte("<proceed xmlns='" + stream.NSTLS + "'/>"))
	if !s.out.flush() {
		return io.EOF
	}
	if err := s.handshakeTLS(); err != nil {
		s.logAt(slog.LevelDebug, "STARTTLS handshake failed", "err", err)
		return io.EOF
	}
	s.restart()
	return nil
}

// errClosing ends the loop when the close was already queued.
var errClosing = errors.New("closing")

// restart resets the stream after STARTTLS or SASL (RFC 6120 §5.4.3.3, §6.4.6).
func (s *session) restart() {
	s.state = stateHeader
	s.headerSent = false
	s.dec.Reset(s)
}

func (s *session) domainJID() jid.JID {
	j, _ := s.srv.router.JIDs().Parse(s.host)
	return j
}

func (s *session) connInfo() auth.ConnInfo {
	ci := auth.ConnInfo{Host: s.host, RemoteIP: remoteIP(s.raw.RemoteAddr())}
	switch c := s.conn.(type) {
	case *tls.Conn:
		st := c.ConnectionState()
		ci.TLS = &st
		ci.ServerCert = s.srv.certDER
	case StreamConn:
		ci.TLS, ci.Cookies = c.Security()
		if ci.TLS != nil && ci.TLS.Version != 0 {
			// TLS of the HTTP listener, which uses this server's certificate.
			ci.ServerCert = s.srv.certDER
		}
	}
	return ci
}
