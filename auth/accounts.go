package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// recordAccount makes sure an account that a backend outside storage
// (wordpress, http, jwt) accepted has a row in Config.Accounts, with no
// keys. The router and the modules decide from storage who exists: without
// the row, a message to the user while offline bounces and a subscription
// request is answered "unsubscribed". The row holds no keys, so the
// internal backend never accepts a password for it (keysFor and
// Internal.CheckPassword treat it as unknown).
//
// The localpart is normalized as c2s binds it, so the row is the account
// the session uses. On a host that also allows ANONYMOUS, a localpart of
// a guest's shape is refused: it could be a live guest's account, whose
// data the user would then share, and the start-up sweep would delete it.
// Without Config.Accounts it does nothing.
func (s *Server) recordAccount(ctx context.Context, h *hostAuth, host, user string) *Failure {
	local, domain, ok := normalizeUser(user, host)
	if !ok {
		return notAuthorized() // c2s could not bind it either
	}
	if h.anonymous && IsGuest(local) {
		return notAuthorized()
	}
	if s.accounts == nil {
		return nil
	}
	// Most logins are of users seen before: a read, not a refused insert.
	exists, err := s.accounts.UserExists(ctx, domain, local)
	if err != nil {
		return &Failure{Condition: TemporaryAuthFailure, Cause: fmt.Errorf("recording account: %w", err)}
	}
	if exists {
		return nil
	}
	err = s.accounts.CreateUser(ctx, domain, local, storage.Credentials{})
	if err != nil && !errors.Is(err, storage.ErrExists) { // ErrExists: a concurrent first login
		return &Failure{Condition: TemporaryAuthFailure, Cause: fmt.Errorf("recording account: %w", err)}
	}
	return nil
}
