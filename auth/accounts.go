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

// RemoveStaleGuests deletes, with all their data, the accounts of
// anonymous guests on hosts that allow ANONYMOUS: accounts whose localpart
// has a guest's exact shape (IsGuest) and that hold no keys. A guest's
// account lives as long as its session, and EndAnonymous removes it; a
// crash skips that, so the node calls this at start, before it accepts
// connections. It returns how many it removed.
//
// It assumes this node is the only one using the storage: with several
// nodes on one database it would remove guests that are online elsewhere.
// Without Config.Accounts it does nothing.
func (s *Server) RemoveStaleGuests(ctx context.Context) (int, error) {
	if s.accounts == nil {
		return 0, nil
	}
	removed := 0
	var errs []error
	for host, h := range s.hosts {
		if !h.anonymous {
			continue
		}
		users, err := s.accounts.ListUsers(ctx, host)
		if err != nil {
			errs = append(errs, fmt.Errorf("listing users of %s: %w", host, err))
			continue
		}
		for _, u := range users {
			if !IsGuest(u) {
				continue
			}
			// An account an operator created under a guest-like name
			// holds keys: it is not a guest's, keep it.
			creds, err := s.accounts.Credentials(ctx, host, u)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("guest %s@%s: %w", u, host, err))
				continue
			}
			if !creds.SHA1.IsZero() || !creds.SHA256.IsZero() || !creds.SHA512.IsZero() {
				continue
			}
			if err := s.accounts.DeleteUser(ctx, host, u); err != nil && !errors.Is(err, storage.ErrNotFound) {
				errs = append(errs, fmt.Errorf("removing guest %s@%s: %w", u, host, err))
				continue
			}
			removed++
		}
	}
	return removed, errors.Join(errs...)
}
