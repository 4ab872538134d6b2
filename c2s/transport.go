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
// is closed. Shutdown kicks it like any TCP session.
func (t *Transport) Serve(ctx context.Context, conn StreamConn) error {
	s := t.srv
	sess := newSession(s, t.lis, conn)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		conn.Close()
		return ErrShuttingDown
	}
	s.sessions[sess] = struct{}{}
	s.wg.Add(1) // done by the session's cleanup
	s.mu.Unlock()
	sess.serve(ctx) // a StreamConn has no socket to park, so serve returns at the end
	return nil
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
