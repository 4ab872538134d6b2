package auth

import (
	"context"
	"errors"
	"fmt"
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
	if e.s.limit.blocked(ip, e.ci.Host, "") {
		return nil, false, notAuthorized()
	}
	var fault error
	for _, b := range e.h.external {
		if !b.HasExternal(e.ci) {
			continue
		}
		user, err := b.CheckExternal(ctx, e.ci, authzid)
		switch {
		case err == nil:
			if !authorized(authzid, user, e.ci.Host) {
				return nil, false, fail(InvalidAuthzid, "")
			}
			e.username = user
			return nil, true, nil
		case errors.Is(err, ErrUnknownUser), errors.Is(err, ErrBadCredentials):
		default:
			fault = errors.Join(fault, fmt.Errorf("%s: %w", b.Name(), err))
		}
	}
	if fault != nil {
		return nil, false, &Failure{Condition: TemporaryAuthFailure, Cause: fault}
	}
	e.s.limit.failed(ip, e.ci.Host, "")
	return nil, false, notAuthorized()
}
