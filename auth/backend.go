package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// Errors a backend returns to steer the search through a host's backends.
// Any other error is a server-side fault: the client gets
// temporary-auth-failure and the log gets the error.
var (
	// ErrUnknownUser means this backend has no such account; the next
	// backend of the host is tried.
	ErrUnknownUser = errors.New("auth: unknown user")
	// ErrBadCredentials means the account exists here and the secret is
	// wrong (or expired, or for someone else); the next backend is tried
	// too, as ejabberd and MongooseIM do, and the login fails with
	// not-authorized if none accepts it.
	ErrBadCredentials = errors.New("auth: bad credentials")
)

// Backend is one source of accounts. A host lists its backends in the
// order they are tried. What a backend can do is told by the interfaces it
// implements: KeyHolder (SCRAM and PLAIN over stored keys),
// PasswordChecker (PLAIN only), ExternalChecker (EXTERNAL, from what the
// transport carried).
type Backend interface {
	// Name identifies the backend in logs: "internal", "wordpress", ...
	Name() string
}

// KeyHolder is a backend that keeps SCRAM keys, so the host can offer
// SCRAM. Only the first KeyHolder of a host serves SCRAM: a SCRAM exchange
// commits to one salt before the proof arrives.
type KeyHolder interface {
	Backend
	CredentialSource
}

// PasswordChecker is a backend that can only check a plaintext secret: it
// makes the host offer PLAIN, which is allowed only under TLS.
type PasswordChecker interface {
	Backend
	// CheckPassword checks secret for the account authcid (a JID
	// localpart) on ci.Host and returns the localpart the session gets.
	// ErrUnknownUser and ErrBadCredentials (possibly wrapped) are the
	// client's fault; any other error is the server's.
	CheckPassword(ctx context.Context, ci ConnInfo, authcid, secret string) (string, error)
}

// ExternalChecker is a backend that authenticates from something the
// transport carried outside SASL, such as a site's login cookie on the
// HTTP request of a WebSocket or BOSH connection (SASL EXTERNAL, RFC 4422
// appendix A).
type ExternalChecker interface {
	Backend
	// HasExternal reports, without I/O, whether ci carries anything this
	// backend could check; EXTERNAL is offered only then.
	HasExternal(ci ConnInfo) bool
	// CheckExternal authenticates from ci alone and returns the localpart;
	// authzid, when not empty, must name that same account.
	CheckExternal(ctx context.Context, ci ConnInfo, authzid string) (string, error)
}

// Internal is the backend over the server's own accounts: SCRAM keys in
// storage. Its PLAIN check runs PBKDF2 against the stored keys.
type Internal struct {
	// Source is where the keys are; storage.Users satisfies it.
	Source CredentialSource
}

var (
	_ KeyHolder       = Internal{}
	_ PasswordChecker = Internal{}
)

// Name returns "internal".
func (Internal) Name() string { return "internal" }

// Credentials returns the stored keys of an account.
func (b Internal) Credentials(ctx context.Context, host, username string) (storage.Credentials, error) {
	return b.Source.Credentials(ctx, host, username)
}

// CheckPassword verifies secret against the stored keys.
func (b Internal) CheckPassword(ctx context.Context, ci ConnInfo, authcid, secret string) (string, error) {
	creds, err := b.Source.Credentials(ctx, ci.Host, authcid)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return "", ErrUnknownUser
	case err != nil:
		return "", err
	}
	for _, h := range plainHashes {
		if k := pickKeys(creds, h); usable(k, h) {
			if VerifyPassword(k, h, secret) {
				return authcid, nil
			}
			return "", ErrBadCredentials
		}
	}
	return "", ErrUnknownUser
}

// HostConfig is how one host authenticates.
type HostConfig struct {
	// Backends are tried in this order. The first KeyHolder serves SCRAM.
	Backends []Backend
	// Anonymous offers SASL ANONYMOUS: guests get a random localpart and
	// their data is removed when they log out (Server.EndAnonymous).
	Anonymous bool
}

// hostAuth is a HostConfig sorted by capability at NewServer.
type hostAuth struct {
	keys      CredentialSource // nil: no SCRAM
	checkers  []PasswordChecker
	external  []ExternalChecker
	tokens    []TokenChecker
	anonymous bool
}

func newHostAuth(hc HostConfig) *hostAuth {
	h := &hostAuth{anonymous: hc.Anonymous}
	for _, b := range hc.Backends {
		if k, ok := b.(KeyHolder); ok && h.keys == nil {
			h.keys = k
		}
		if p, ok := b.(PasswordChecker); ok {
			h.checkers = append(h.checkers, p)
		}
		if e, ok := b.(ExternalChecker); ok {
			h.external = append(h.external, e)
		}
		if t, ok := b.(TokenChecker); ok {
			h.tokens = append(h.tokens, t)
		}
	}
	return h
}

// hasExternal reports whether EXTERNAL can be offered on ci.
func (h *hostAuth) hasExternal(ci ConnInfo) bool {
	for _, e := range h.external {
		if e.HasExternal(ci) {
			return true
		}
	}
	return false
}

// checkPassword tries each backend in order. The first that accepts wins;
// if none does, a server-side error of any of them makes the failure
// temporary-auth-failure, else it is not-authorized.
func (s *Server) checkPassword(ctx context.Context, h *hostAuth, ci ConnInfo, authcid, secret string) (string, *Failure) {
	v := firstAccepted(h.checkers, func(b PasswordChecker) (string, error) {
		return b.CheckPassword(ctx, ci, authcid, secret)
	})
	if v.accepted && !v.stored {
		if f := s.recordAccount(ctx, h, ci.Host, v.user); f != nil {
			return "", f
		}
	}
	if v.accepted || v.failure != nil {
		return v.user, v.failure
	}
	if !v.known && h.keys != nil {
		// Nobody has the account: spend the PBKDF2 work a known one costs,
		// on fake keys that never match, so timing does not tell.
		VerifyPassword(s.fakeKeys(scram.SHA256, ci.Host, authcid), scram.SHA256, secret)
	}
	return "", notAuthorized()
}

// remoteIP is ci's address for rate limiting, unmapped.
func (ci ConnInfo) remoteIP() netip.Addr { return ci.RemoteIP.Unmap() }

// logger returns the configured logger or a discarding one.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// verdict is what the backends of a host said about one secret.
type verdict struct {
	user     string   // the accepted account
	accepted bool     // some backend accepted
	stored   bool     // the one that accepted keeps its accounts in storage (a KeyHolder)
	known    bool     // some backend has the account and refused the secret
	failure  *Failure // temporary-auth-failure: none accepted and one failed
}

// firstAccepted asks each backend in order; the first to accept wins. When
// none does, a server-side error of any of them becomes the verdict's
// temporary-auth-failure, so a client is never told its secret is wrong
// while a backend that might have accepted it was unreachable.
// ErrUnknownUser and ErrBadCredentials are refusals, anything else a fault.
func firstAccepted[B Backend](backends []B, check func(B) (string, error)) verdict {
	var v verdict
	var fault error
	for _, b := range backends {
		user, err := check(b)
		switch {
		case err == nil:
			_, stored := any(b).(KeyHolder)
			return verdict{user: user, accepted: true, stored: stored}
		case errors.Is(err, ErrUnknownUser):
		case errors.Is(err, ErrBadCredentials):
			v.known = true
		default:
			fault = errors.Join(fault, fmt.Errorf("%s: %w", b.Name(), err))
		}
	}
	if fault != nil {
		v.failure = &Failure{Condition: TemporaryAuthFailure, Cause: fault}
	}
	return v
}
