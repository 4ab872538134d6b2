package c2s

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// StreamConn is what an HTTP transport (WebSocket, BOSH) hands to Serve: a
// connection whose Read yields the bytes of one RFC 6120 client stream and
// whose Write takes the bytes the session writes, stream header, stanzas,
// stream errors and the closing tag included. The transport translates both
// directions to its own framing, so the session's state machine (header
// checks, SASL, bind, modules, limits) is the one TCP runs, and the TCP path
// keeps its net.Conn and stream.Decoder untouched.
//
// Read must honour SetReadDeadline by failing with an error for which
// errors.Is(err, os.ErrDeadlineExceeded) holds: that is how handshake and
// idle timeouts end a session.
type StreamConn interface {
	net.Conn
	// Security describes the channel the stream runs on: TLS state when the
	// HTTP listener terminated TLS, a synthesized complete handshake when a
	// trusted reverse proxy did, nil for plain HTTP; and the cookies of the
	// HTTP request that opened the session.
	Security() (tlsState *tls.ConnectionState, cookies []*http.Cookie)
}

// Parkable is a StreamConn over one socket of this process whose session
// may park like a TCP session (park.go): a WebSocket, whose frames are read
// straight off the socket, is one; a BOSH session, spread over many HTTP
// requests, is not.
//
// Parking is only sound if the poller sees every byte the session has not
// handled yet, so the conn must say when it holds none: read but
// undelivered bytes (a partial frame, say) would never make the socket
// readable again.
type Parkable interface {
	StreamConn
	// SocketFD is the descriptor of the socket the stream arrives on
	// (under any TLS), or -1 if there is none to watch.
	SocketFD() int32
	// ReleaseIdle is called when the session is about to park, after a
	// read timed out. It reports whether the conn holds no bytes it read
	// and did not deliver yet; if so it also drops its read buffers, since
	// a parked session reads nothing until the socket is readable.
	ReleaseIdle() bool
}

// Transport is a c2s listener whose connections arrive through another
// server (the HTTP listener) instead of a TCP accept loop.
type Transport struct {
	srv *Server
	lis *listener
}

// NewTransport registers a listener named cfg.Name for the transport
// label used in metrics ("websocket", "bosh"). cfg.Address and cfg.Mode are
// ignored: the transport owns the socket and its TLS.
func (s *Server) NewTransport(transport string, cfg ListenerConfig) *Transport {
	cfg.Mode = ModePlain
	cfg.setDefaults()
	l := &listener{cfg: cfg, transport: transport, conflict: router.ConflictRefuse}
	if cfg.ReplaceOnConflict {
		l.conflict = router.ConflictReplace
	}
	return &Transport{srv: s, lis: l}
}

// ErrShuttingDown is returned by Serve once Shutdown began.
var ErrShuttingDown = errors.New("c2s: server is shutting down")

// Serve runs one session over conn and returns when it has ended and conn
// is closed. Shutdown kicks it like any TCP session. conn must not be
// Parkable: a parked session outlives the call.
func (t *Transport) Serve(ctx context.Context, conn StreamConn) error {
	sess, err := t.add(conn)
	if err != nil {
		return err
	}
	sess.serve(ctx)
	return nil
}

// Start runs one session over conn on a goroutine of its own and returns at
// once, so that the caller (an HTTP handler) can return and net/http can
// let go of the request, its buffers and its goroutine's stack while the
// session lives on. The session counts in Shutdown's wait from here until
// its cleanup, whichever goroutine runs it (after parking, a fresh one).
func (t *Transport) Start(ctx context.Context, conn StreamConn) error {
	sess, err := t.add(conn)
	if err != nil {
		return err
	}
	go sess.serve(ctx)
	return nil
}

// add registers a session for conn, or closes conn during shutdown.
func (t *Transport) add(conn StreamConn) (*session, error) {
	s := t.srv
	sess := newSession(s, t.lis, conn)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		conn.Close()
		return nil, ErrShuttingDown
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1) // done by the session's cleanup
	return sess, nil
}

// setDefaults fills the zero values of a listener configuration.
func (cfg *ListenerConfig) setDefaults() {
	if cfg.Limits.MaxStanzaBytes == 0 {
		cfg.Limits = stream.DefaultLimits()
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 30 * time.Second
	}
	if cfg.MaxAuthFailures <= 0 {
		cfg.MaxAuthFailures = 3
	}
	if cfg.OutboundQueueBytes <= 0 {
		cfg.OutboundQueueBytes = 1 << 20
	}
}
