package c2s

import (
	"errors"
	"log/slog"
	"os"
	"time"
)

// Parking: a bound session that has sent nothing for ListenerConfig.ParkAfter
// gives up its reader goroutine and its read buffer until its next byte
// arrives. A parked reader goroutine would keep an 8 KiB stack and the
// decoder's buffer for every idle client, which is most of what an idle
// session costs; instead one poller (epoll on Linux) watches every parked
// socket and starts a fresh goroutine for the first one that becomes
// readable. The same wake-up path serves an idle-timeout timer and a
// connection closed by another goroutine (kick, shutdown), so a parked
// session always learns that it ended and cleans up.
//
// Parking happens only after a read timed out, which means the TLS layer
// and the decoder both asked the socket for more bytes: nothing is left in
// their buffers that the poller could not see. A transport with framing of
// its own (WebSocket, a Parkable StreamConn) must also say that it holds no
// partial frame.

// isTimeout reports whether err is a read deadline expiring.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// readDeadline is the deadline of the next read in the established state:
// the idle timeout counted from the last byte received, or sooner the
// moment to park.
func (s *session) readDeadline(now time.Time) time.Time {
	var d time.Time
	if idle := s.lis.cfg.IdleTimeout; idle > 0 {
		d = s.lastInput.Add(idle)
	}
	if pa := s.lis.cfg.ParkAfter; pa > 0 && s.fd >= 0 && s.srv.parking() {
		if p := now.Add(pa); d.IsZero() || p.Before(d) {
			d = p
		}
	}
	return d
}

// idleExpired reports whether the idle timeout has run out.
func (s *session) idleExpired() bool {
	idle := s.lis.cfg.IdleTimeout
	return idle > 0 && time.Since(s.lastInput) >= idle
}

// park hands the session to the poller; it reports false when the session
// must go on reading on this goroutine (its connection is closing, or the
// poller refused it). After true the caller must not touch the session.
func (s *session) park() bool {
	p := s.srv.getPoller()
	if p == nil || s.fd < 0 {
		return false
	}
	if pc, ok := s.raw.(Parkable); ok && !pc.ReleaseIdle() {
		return false // bytes of a frame are held above the socket: read on
	}
	s.dec.Release()
	s.parkMu.Lock()
	defer s.parkMu.Unlock()
	if s.connClosed {
		return false
	}
	if idle := s.lis.cfg.IdleTimeout; idle > 0 {
		rest := max(idle-time.Since(s.lastInput), 0)
		if s.idleTimer == nil {
			s.idleTimer = time.AfterFunc(rest, s.wake)
		} else {
			s.idleTimer.Reset(rest)
		}
	}
	s.parked.Store(true)
	if err := p.arm(s); err != nil {
		s.parked.Store(false)
		s.logAt(slog.LevelDebug, "cannot park session", "err", err)
		return false
	}
	s.srv.metrics.parked.Inc()
	return true
}

// wake resumes a parked session on a new goroutine; it does nothing for a
// session that is running. The poller, the idle timer and closeConn call it.
func (s *session) wake() {
	if s.parked.CompareAndSwap(true, false) {
		s.srv.metrics.parked.Dec()
		go s.run()
	}
}

// closeConn closes the connection once its output is written (the
// outbound writer's shutdown). A parked session is woken so that its read
// fails and it cleans up.
func (s *session) closeConn() {
	s.detach()
	s.conn.Close()
	s.wake()
}

// abort cuts the connection without a TLS close_notify, for a shutdown
// whose grace period ran out.
func (s *session) abort() {
	s.detach()
	s.raw.Close()
	s.wake()
}

// detach takes the socket out of the poller before it is closed, so that
// its descriptor, once reused by a new connection, is never confused with
// this session.
func (s *session) detach() {
	s.parkMu.Lock()
	s.connClosed = true
	if s.fd >= 0 {
		if p := s.srv.getPoller(); p != nil {
			p.forget(s)
		}
	}
	s.parkMu.Unlock()
}
