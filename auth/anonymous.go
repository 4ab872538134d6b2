package auth

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// maxTrace is RFC 4505's limit on the ANONYMOUS trace string, in characters.
const maxTrace = 255

// anonPrefix starts every guest localpart, so operators and logs tell
// guests from accounts at a glance.
const anonPrefix = "guest-"

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// anonymousExchange is SASL ANONYMOUS (RFC 4505): any client becomes a
// fresh guest with a random localpart. The optional trace string is only
// checked for size.
type anonymousExchange struct {
	s         *Server
	ci        ConnInfo
	state     uint8
	sentEmpty bool
	username  string
}

var _ Exchange = (*anonymousExchange)(nil)

func (e *anonymousExchange) Username() string { return e.username }

func (e *anonymousExchange) Step(ctx context.Context, resp []byte) ([]byte, bool, error) {
	if e.state != stateStart {
		return nil, false, finished()
	}
	if resp == nil && !e.sentEmpty {
		e.sentEmpty = true
		return []byte{}, false, nil
	}
	e.state = stateOver
	if !utf8.Valid(resp) || utf8.RuneCount(resp) > maxTrace {
		return nil, false, malformed("trace must be at most 255 UTF-8 characters")
	}
	user, err := e.s.newGuest(ctx, e.ci.Host)
	if err != nil {
		return nil, false, &Failure{Condition: TemporaryAuthFailure, Cause: err}
	}
	e.username = user
	return nil, true, nil
}

// newGuest picks a random localpart ("guest-" and 16 base32 characters,
// 80 random bits) and, with Config.Accounts, creates its account so
// rosters, offline messages and the like work for the session's life.
func (s *Server) newGuest(ctx context.Context, host string) (string, error) {
	for range 3 {
		var raw [10]byte
		rand.Read(raw[:])
		user := anonPrefix + lowerBase32.EncodeToString(raw[:])
		if s.accounts == nil {
			return user, nil
		}
		err := s.accounts.CreateUser(ctx, host, user, storage.Credentials{})
		if err == nil {
			return user, nil
		}
		if !errors.Is(err, storage.ErrExists) {
			return "", fmt.Errorf("anonymous account: %w", err)
		}
	}
	return "", errors.New("anonymous account: three random localparts taken")
}

// guestRandLen is the length of a guest localpart's random part: 10 bytes
// in base32.
const guestRandLen = 16

// IsGuest reports whether a localpart has the exact shape ANONYMOUS hands
// out: "guest-" and 16 lowercase base32 characters. Names that merely
// start with "guest-" are not guests'.
func IsGuest(username string) bool {
	rest, ok := strings.CutPrefix(username, anonPrefix)
	if !ok || len(rest) != guestRandLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// EndAnonymous removes a guest's account and all its data; the session
// calls it when an ANONYMOUS login ends. Without Config.Accounts it does
// nothing.
func (s *Server) EndAnonymous(ctx context.Context, host, username string) error {
	if s.accounts == nil {
		return nil
	}
	if err := s.accounts.DeleteUser(ctx, host, username); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	return nil
}
