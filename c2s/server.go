package c2s

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Mode is how a listener secures connections.
type Mode uint8

const (
	// ModeStartTLS offers STARTTLS (RFC 6120 §5) on a plain connection.
	ModeStartTLS Mode = iota
	// ModeDirect starts TLS at connect (XEP-0368).
	ModeDirect
	// ModePlain never encrypts: for tests and TLS-terminating proxies.
	ModePlain
)

// ListenerConfig configures one c2s listener.
type ListenerConfig struct {
	Name             string // for logs and metrics; defaults to the address
	Address          string
	Mode             Mode
	StartTLSRequired bool
	Limits           stream.Limits
	HandshakeTimeout time.Duration
	IdleTimeout      time.Duration
	// ParkAfter is how long a bound session may send nothing before its
	// reader goroutine and read buffer are released until its next byte
	// (park.go); 0 never parks.
	ParkAfter          time.Duration
	OutboundQueueBytes int
	MaxAuthFailures    int
	ReplaceOnConflict  bool // a second bind of a resource replaces the first
	LegacySession      bool
}

// Deps are what a c2s Server works with.
type Deps struct {
	Router  *router.Router
	Auth    *auth.Server
	TLS     *tls.Config // nil: no TLS at all (ModeStartTLS then offers none)
	Logger  *slog.Logger
	Metrics *Metrics
}

// Server accepts client connections on any number of listeners.
type Server struct {
	router  *router.Router
	auth    *auth.Server
	tls     *tls.Config
	certDER []byte
	log     *slog.Logger
	metrics *Metrics
	pool    bufPool

	pollOnce sync.Once
	poll     *poller // nil until a session first parks, or if epoll failed

	mu        sync.Mutex
	listeners []*listener
	sessions  map[*session]struct{}
	closing   bool
	wg        sync.WaitGroup
}

type listener struct {
	cfg       ListenerConfig
	ln        net.Listener
	transport string
	conflict  router.ConflictPolicy
}

// NewServer returns a server; call Listen for each listener.
func NewServer(d Deps) *Server {
	s := &Server{router: d.Router, auth: d.Auth, tls: d.TLS, log: d.Logger, metrics: d.Metrics,
		sessions: make(map[*session]struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	if d.TLS != nil && len(d.TLS.Certificates) > 0 && len(d.TLS.Certificates[0].Certificate) > 0 {
		s.certDER = d.TLS.Certificates[0].Certificate[0]
	}
	return s
}

// Listen binds cfg.Address and serves it in the background. It returns the
// bound address (useful with port 0).
func (s *Server) Listen(ctx context.Context, cfg ListenerConfig) (net.Addr, error) {
	if cfg.Mode != ModePlain && s.tls == nil {
		return nil, errors.New("c2s: TLS listener without a certificate")
	}
	cfg.setDefaults()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Address)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = ln.Addr().String()
	}
	l := &listener{cfg: cfg, ln: ln, transport: "tcp", conflict: router.ConflictRefuse}
	if cfg.Mode == ModeDirect {
		l.transport = "tls"
	}
	if cfg.ReplaceOnConflict {
		l.conflict = router.ConflictReplace
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return nil, errors.New("c2s: server is shutting down")
	}
	s.listeners = append(s.listeners, l)
	s.wg.Add(1)
	s.mu.Unlock()
	go s.accept(ctx, l)
	s.log.Info("c2s listening", "listener", cfg.Name, "address", ln.Addr().String(), "mode", modeName(cfg.Mode))
	return ln.Addr(), nil
}

func modeName(m Mode) string {
	switch m {
	case ModeDirect:
		return "direct"
	case ModePlain:
		return "plain"
	}
	return "starttls"
}

// accept runs the accept loop of one listener, backing off on temporary
// errors the way net/http does.
func (s *Server) accept(ctx context.Context, l *listener) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", "listener", l.cfg.Name, "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
				continue
			case <-ctx.Done():
				return
			}
		}
		delay = 0
		sess := newSession(s, l, conn)
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			conn.Close()
			continue
		}
		s.sessions[sess] = struct{}{}
		s.wg.Add(1) // done by the session's cleanup, whichever goroutine runs it
		s.mu.Unlock()
		go sess.serve(ctx)
	}
}

func (s *Server) forget(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess)
	s.mu.Unlock()
}

// Shutdown closes the listeners, sends every session <system-shutdown/>, and
// waits until all sessions are gone or ctx ends (then connections are cut).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for _, l := range s.listeners {
		l.ln.Close()
	}
	sessions := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		sess.Kick(stream.E(stream.SystemShutdown, ""))
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.closePoller()
		return nil
	case <-ctx.Done():
		for _, sess := range sessions {
			sess.abort()
		}
		<-done
		s.closePoller()
		return ctx.Err()
	}
}

// parking reports whether sessions can park (the poller runs).
func (s *Server) parking() bool { return s.getPoller() != nil }

// closePoller stops the poller once no session is left to wake.
func (s *Server) closePoller() {
	s.pollOnce.Do(func() {}) // no poller may start after this
	if s.poll != nil {
		s.poll.close()
	}
}

// getPoller returns the poller, starting it the first time.
func (s *Server) getPoller() *poller {
	s.pollOnce.Do(func() {
		p, err := newPoller()
		if err != nil {
			s.log.Warn("idle sessions cannot park; each keeps its reader goroutine", "err", err)
			return
		}
		s.poll = p
	})
	return s.poll
}
