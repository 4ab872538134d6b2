// Package storage declares what Meerkat keeps, one small interface per
// concern. Backends live in sub-packages (sqlite, postgres) and every backend
// passes the same contract suite in storagetest.
package storage

import (
	"context"
	"errors"
)

// Sentinel errors every backend returns (wrapped or bare) so callers can use
// errors.Is without knowing the backend.
var (
	ErrNotFound = errors.New("storage: not found")
	ErrExists   = errors.New("storage: already exists")
	// ErrSchemaTooNew is what Migrate returns on a database that a newer
	// build has migrated: this build does not know that schema and could
	// damage data that relies on it.
	ErrSchemaTooNew = errors.New("storage: database schema is newer than this build")
)

// SCRAMKeys are the stored SCRAM secrets of RFC 5802 §3 for one hash
// function. The password itself is never stored.
type SCRAMKeys struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// IsZero reports whether no keys are set for this hash.
func (k SCRAMKeys) IsZero() bool { return len(k.StoredKey) == 0 }

// Credentials holds a user's SCRAM keys for each supported hash.
type Credentials struct {
	SHA1   SCRAMKeys
	SHA256 SCRAMKeys
	SHA512 SCRAMKeys
}

// Users stores accounts and their credentials, keyed by host and the
// (already PRECIS-normalized) localpart.
type Users interface {
	// CreateUser adds an account; ErrExists if it is already there.
	CreateUser(ctx context.Context, host, username string, c Credentials) error
	// DeleteUser removes an account and, in the same transaction,
	// everything stored for it: roster and roster version, offline
	// messages, vCard, private XML, block list and last activity. A user
	// created again under the same name starts empty. ErrNotFound if the
	// account is not there, and then nothing changes.
	DeleteUser(ctx context.Context, host, username string) error
	// SetCredentials replaces an account's keys; ErrNotFound if absent.
	SetCredentials(ctx context.Context, host, username string, c Credentials) error
	// Credentials returns an account's keys; ErrNotFound if absent.
	Credentials(ctx context.Context, host, username string) (Credentials, error)
	// UserExists reports whether the account exists.
	UserExists(ctx context.Context, host, username string) (bool, error)
	// ListUsers returns the usernames of host in ascending byte order (the
	// order of Go's string comparison, whatever the database's collation);
	// an empty, non-error result when the host has none.
	ListUsers(ctx context.Context, host string) ([]string, error)
}

// Store is a whole backend: every concern plus its lifecycle.
type Store interface {
	Users
	Roster
	Offline
	VCards
	PrivateXML
	Blocklists
	LastActivity
	Rooms
	// Migrate brings the schema to the newest embedded version. It is
	// idempotent and safe to run at every start; ErrSchemaTooNew if the
	// database is ahead of this build.
	Migrate(ctx context.Context) error
	// Close releases connections and files.
	Close() error
}
