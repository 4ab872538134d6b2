package auth

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf8"
)

// OAuthBearer is RFC 7628's mechanism: a bearer token (a JWT, for the jwt
// backend) in a GS2-framed message. It is offered, under TLS only, when a
// host has a TokenChecker backend.
const OAuthBearer = "OAUTHBEARER"

// TokenChecker is a backend that verifies bearer tokens (OAUTHBEARER).
type TokenChecker interface {
	Backend
	// CheckToken verifies token for ci.Host and returns the localpart it
	// names. ErrBadCredentials (possibly wrapped) is the client's fault.
	CheckToken(ctx context.Context, ci ConnInfo, token string) (string, error)
}

// oauthErrorChallenge is the RFC 7628 §3.2.2 error challenge; the client
// answers it with a lone %x01 and then gets the failure.
var oauthErrorChallenge = []byte(`{"status":"invalid_token"}`)

const stateErrorSent uint8 = 10 // waiting for the client's %x01 after an error

type oauthBearerExchange struct {
	s         *Server
	h         *hostAuth
	ci        ConnInfo
	state     uint8
	sentEmpty bool
	username  string
}

var _ Exchange = (*oauthBearerExchange)(nil)

func (e *oauthBearerExchange) Username() string { return e.username }

func (e *oauthBearerExchange) Step(ctx context.Context, resp []byte) ([]byte, bool, error) {
	switch e.state {
	case stateStart:
	case stateErrorSent:
		e.state = stateOver
		if !bytes.Equal(resp, []byte{1}) {
			return nil, false, malformed("expected %x01 after the error challenge")
		}
		return nil, false, notAuthorized()
	default:
		return nil, false, finished()
	}
	if resp == nil && !e.sentEmpty {
		e.sentEmpty = true
		return []byte{}, false, nil
	}
	e.state = stateOver
	authzid, token, f := parseOAuthBearer(resp)
	if f != nil {
		return nil, false, f
	}
	ip := e.ci.remoteIP()
	// The account is known up front only from the authzid; otherwise once
	// the token is verified, and then a limited account is refused with
	// the same error challenge as a bad token.
	claimed := authzidUser(authzid)
	if e.s.limit.blocked(ip, e.ci.Host, claimed) {
		e.state = stateErrorSent
		return oauthErrorChallenge, false, nil
	}
	v := firstAccepted(e.h.tokens, func(b TokenChecker) (string, error) {
		return b.CheckToken(ctx, e.ci, token)
	})
	if v.accepted {
		if e.s.limit.blocked(ip, e.ci.Host, v.user) {
			e.state = stateErrorSent
			return oauthErrorChallenge, false, nil
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
	e.state = stateErrorSent
	return oauthErrorChallenge, false, nil
}

// authzidUser is the localpart of an authorization identity, for the
// per-account limit.
func authzidUser(authzid string) string {
	u, _, _ := strings.Cut(authzid, "@")
	return u
}

// parseOAuthBearer reads RFC 7628 §3.1's client response:
//
//	gs2-header %x01 *(key "=" value %x01) %x01
//
// with a gs2-header of "n," or "y," and an optional "a=" authzid, and the
// token from the "auth" pair ("Bearer <token>").
func parseOAuthBearer(msg []byte) (authzid, token string, f *Failure) {
	if len(msg) > maxMessage || !utf8.Valid(msg) {
		return "", "", malformed("bad OAUTHBEARER message")
	}
	s := string(msg)
	if len(s) < 2 || (s[0] != 'n' && s[0] != 'y') || s[1] != ',' {
		return "", "", malformed("bad GS2 header")
	}
	s = s[2:]
	i := strings.IndexByte(s, ',')
	if i < 0 {
		return "", "", malformed("bad GS2 header")
	}
	if a := s[:i]; a != "" {
		if !strings.HasPrefix(a, "a=") {
			return "", "", malformed("bad GS2 header")
		}
		var ok bool
		if authzid, ok = unescapeSASLName(a[2:]); !ok {
			return "", "", malformed("bad authzid")
		}
	}
	s = s[i+1:]
	if !strings.HasPrefix(s, "\x01") || !strings.HasSuffix(s, "\x01\x01") || len(s) < 3 {
		return "", "", malformed("bad OAUTHBEARER framing")
	}
	for _, kv := range strings.Split(s[1:len(s)-2], "\x01") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", "", malformed("bad key=value pair")
		}
		if k == "auth" {
			scheme, tok, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
				return "", "", malformed("auth must be a Bearer token")
			}
			token = tok
		}
	}
	if token == "" {
		return "", "", malformed("no auth pair")
	}
	return authzid, token, nil
}

// unescapeSASLName undoes RFC 5801's =2C and =3D.
func unescapeSASLName(s string) (string, bool) {
	if !strings.Contains(s, "=") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}
