package auth

import (
	"context"
	"unicode/utf8"
)

// externalExchange is SASL EXTERNAL (RFC 4422 appendix A) over what the
// transport carried: the host's ExternalChecker backends (the WordPress
// login cookie of a WebSocket or BOSH request) decide. The client's only
// message is an optional authorization identity.
type externalExchange struct {
	s         *Server
	h         *hostAuth
	ci        ConnInfo
	state     uint8
	sentEmpty bool
	username  string
}

var _ Exchange = (*externalExchange)(nil)

func (e *externalExchange) Username() string { return e.username }

func (e *externalExchange) Step(ctx context.Context, resp []byte) ([]byte, bool, error) {
	if e.state != stateStart {
		return nil, false, finished()
	}
	if resp == nil && !e.sentEmpty {
		e.sentEmpty = true
		return []byte{}, false, nil
	}
	e.state = stateOver
	if len(resp) > maxUsername+1+maxUsername || !utf8.Valid(resp) {
		return nil, false, malformed("bad authorization identity")
	}
	authzid := string(resp)
	ip := e.ci.remoteIP()
	// The account is known up front only when the client names it in the
	// authzid; otherwise only once the backend accepted the cookie, and
	// then a limited account is refused all the same.
	claimed := authzidUser(authzid)
	if e.s.limit.blocked(ip, e.ci.Host, claimed) {
		return nil, false, notAuthorized()
	}
	v := firstAccepted(e.h.external, func(b ExternalChecker) (string, error) {
		if !b.HasExternal(e.ci) {
			return "", ErrUnknownUser // nothing for this backend on the connection
		}
		return b.CheckExternal(ctx, e.ci, authzid)
	})
	if v.accepted {
		if e.s.limit.blocked(ip, e.ci.Host, v.user) {
			return nil, false, notAuthorized()
		}
		if !authorized(authzid, v.user, e.ci.Host) {
			return nil, false, fail(InvalidAuthzid, "")
		}
		if f := e.s.recordAccount(ctx, e.h, e.ci.Host, v.user); f != nil {
			return nil, false, f
		}
		e.username = v.user
		return nil, true, nil
	}
	if v.failure != nil {
		return nil, false, v.failure
	}
	e.s.limit.failed(ip, e.ci.Host, claimed)
	return nil, false, notAuthorized()
}
