package auth

import (
	"bytes"
	"context"
	"unicode/utf8"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
)

// plainHashes is the order in which PLAIN looks for keys to check a
// password against.
var plainHashes = [...]string{scram.SHA256, scram.SHA512, scram.SHA1}

// plainExchange is the server side of PLAIN (RFC 4616), checked by the
// host's backends in order. Start only makes one under TLS.
type plainExchange struct {
	s         *Server
	h         *hostAuth
	ci        ConnInfo
	state     uint8
	sentEmpty bool
	username  string
}

var _ Exchange = (*plainExchange)(nil)

func (e *plainExchange) Username() string { return e.username }

func (e *plainExchange) Step(ctx context.Context, resp []byte) ([]byte, bool, error) {
	if e.state != stateStart {
		return nil, false, finished()
	}
	if len(resp) == 0 && !e.sentEmpty {
		e.sentEmpty = true
		return []byte{}, false, nil
	}
	e.state = stateOver
	user, f := e.check(ctx, resp)
	if f != nil {
		return nil, false, f
	}
	e.username = user
	return nil, true, nil
}

// check parses "[authzid] NUL authcid NUL passwd" and verifies it.
func (e *plainExchange) check(ctx context.Context, msg []byte) (string, *Failure) {
	if len(msg) > maxMessage {
		return "", malformed("message too long")
	}
	i := bytes.IndexByte(msg, 0)
	if i < 0 {
		return "", malformed("expected authzid NUL authcid NUL password")
	}
	j := bytes.IndexByte(msg[i+1:], 0)
	if j < 0 {
		return "", malformed("expected authzid NUL authcid NUL password")
	}
	j += i + 1
	authzid, authcid, passwd := msg[:i], msg[i+1:j], msg[j+1:]
	if len(authcid) == 0 || len(passwd) == 0 || bytes.IndexByte(passwd, 0) >= 0 {
		return "", malformed("expected authzid NUL authcid NUL password")
	}
	if !utf8.Valid(msg) {
		return "", malformed("not UTF-8")
	}
	if len(authcid) > maxUsername {
		return "", malformed("username too long")
	}
	user := string(authcid)
	if !authorized(string(authzid), user, e.ci.Host) {
		return "", fail(InvalidAuthzid, "")
	}
	ip := e.ci.remoteIP()
	if e.s.limit.blocked(ip, e.ci.Host, user) {
		return "", notAuthorized()
	}
	got, f := e.s.checkPassword(ctx, e.h, e.ci, user, string(passwd))
	if f != nil {
		if f.Condition == NotAuthorized {
			e.s.limit.failed(ip, e.ci.Host, user)
		}
		return "", f
	}
	return got, nil
}
