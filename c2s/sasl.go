package c2s

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// handleSASL runs the SASL negotiation of RFC 6120 §6.4.
func (s *session) handleSASL(el *stream.Element) error {
	switch el.Local {
	case "auth":
		if s.state == stateSASL {
			s.sasl = nil
		}
		mech := el.Attr("mechanism")
		ex, err := s.srv.auth.Start(mech, s.connInfo())
		if err != nil {
			return s.saslFailed(mech, err)
		}
		s.sasl, s.saslMech, s.state = ex, mech, stateSASL
		resp, err := auth.DecodePayload([]byte(el.Text()))
		if err != nil {
			return s.saslFailed(mech, err)
		}
		return s.saslStep(resp)
	case "response":
		if s.state != stateSASL {
			return stream.E(stream.NotAuthorized, "no SASL exchange in progress")
		}
		resp, err := auth.DecodePayload([]byte(el.Text()))
		if err != nil {
			return s.saslFailed(s.saslMech, err)
		}
		return s.saslStep(resp)
	case "abort":
		s.sasl, s.state = nil, stateAuth
		s.sendRaw([]byte("<failure xmlns='" + stream.NSSASL + "'><aborted/></failure>"))
		return nil
	}
	return stream.E(stream.NotAuthorized, "")
}

func (s *session) saslStep(resp []byte) error {
	out, done, err := s.sasl.Step(s.ctx, resp)
	if err != nil {
		return s.saslFailed(s.saslMech, err)
	}
	if !done {
		b := append(s.srv.pool.get(), "<challenge xmlns='"+stream.NSSASL+"'>"...)
		b = base64.StdEncoding.AppendEncode(b, out)
		b = append(b, "</challenge>"...)
		s.sendRaw(b)
		s.srv.pool.put(b)
		return nil
	}
	user, err := s.srv.router.JIDs().Parse(s.sasl.Username() + "@" + s.host)
	if err != nil || user.Localpart() == "" {
		return s.saslFailed(s.saslMech, &auth.Failure{Condition: auth.NotAuthorized})
	}
	s.username = user.Localpart()
	s.sasl = nil
	s.srv.metrics.auth(s.saslMech, true)
	s.logAt(slog.LevelDebug, "authenticated", "mechanism", s.saslMech)
	b := append(s.srv.pool.get(), "<success xmlns='"+stream.NSSASL+"'>"...)
	if len(out) > 0 {
		b = base64.StdEncoding.AppendEncode(b, out)
	}
	b = append(b, "</success>"...)
	s.sendRaw(b)
	s.srv.pool.put(b)
	s.restart()
	return nil
}

// saslFailed answers <failure/> and allows a bounded number of retries (RFC
// 6120 §6.4.5); the reply never says whether the account exists.
func (s *session) saslFailed(mech string, err error) error {
	var f *auth.Failure
	if !errors.As(err, &f) {
		f = &auth.Failure{Condition: auth.TemporaryAuthFailure}
	}
	s.sasl, s.state = nil, stateAuth
	s.authFailures++
	s.srv.metrics.auth(mech, false)
	if f.Cause != nil {
		// A server-side fault (storage down): worth a warning, never shown to the client.
		s.logAt(slog.LevelWarn, "authentication failed", "mechanism", mechLabel(mech), "condition", f.Condition, "err", f.Cause)
	} else {
		s.logAt(slog.LevelInfo, "authentication failed", "mechanism", mechLabel(mech), "condition", f.Condition)
	}
	b := append(s.srv.pool.get(), "<failure xmlns='"+stream.NSSASL+"'><"...)
	b = append(b, f.Condition...)
	b = append(b, "/></failure>"...)
	s.sendRaw(b)
	s.srv.pool.put(b)
	if s.authFailures >= s.lis.cfg.MaxAuthFailures {
		return stream.E(stream.PolicyViolation, "too many failed authentication attempts")
	}
	return nil
}

// endAnonymous removes the account and data of a guest that logged in
// with ANONYMOUS, once its session is over (after the close hooks ran).
func (s *session) endAnonymous() {
	if s.saslMech != auth.Anonymous || s.username == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 10*time.Second)
	defer cancel()
	if err := s.srv.auth.EndAnonymous(ctx, s.host, s.username); err != nil {
		s.logAt(slog.LevelWarn, "removing anonymous account failed", "err", err)
	}
}

// remoteIP is the address a connection comes from, for the failed-login
// limits; the zero Addr for non-IP connections.
func remoteIP(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, _ := netip.AddrFromSlice(ta.IP)
		return ip.Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
