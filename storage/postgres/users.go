package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// credColumns are the users columns holding storage.Credentials, in the
// order credArgs and credDest use.
const credColumns = `sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key,
	sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key,
	sha512_salt, sha512_iterations, sha512_stored_key, sha512_server_key`

const (
	qCreateUser = `INSERT INTO users (host, username, ` + credColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (host, username) DO NOTHING`
	qSetCreds = `UPDATE users SET
		sha1_salt = $3, sha1_iterations = $4, sha1_stored_key = $5, sha1_server_key = $6,
		sha256_salt = $7, sha256_iterations = $8, sha256_stored_key = $9, sha256_server_key = $10,
		sha512_salt = $11, sha512_iterations = $12, sha512_stored_key = $13, sha512_server_key = $14
		WHERE host = $1 AND username = $2`
	qGetCreds   = `SELECT ` + credColumns + ` FROM users WHERE host = $1 AND username = $2`
	qUserExists = `SELECT EXISTS (SELECT 1 FROM users WHERE host = $1 AND username = $2)`
	qDeleteUser = `DELETE FROM users WHERE host = $1 AND username = $2`
	qListUsers  = `SELECT username FROM users WHERE host = $1 ORDER BY username`
)

// CreateUser adds an account; storage.ErrExists if it is already there.
func (s *Store) CreateUser(ctx context.Context, host, username string, c storage.Credentials) (err error) {
	defer s.done(storage.OpUserCreate, time.Now(), &err)
	// ON CONFLICT DO NOTHING rather than a failed INSERT: the duplicate is
	// an expected answer, and inside a future transaction a unique
	// violation would abort the whole transaction.
	tag, err := s.pool.Exec(ctx, qCreateUser, credArgs(host, username, c)...)
	if err != nil {
		return fail("create user", err)
	}
	if tag.RowsAffected() == 0 {
		return storage.ErrExists
	}
	return nil
}

// userTables are the tables holding data of an account besides users, all
// keyed by (host, username). DeleteUser empties them for the account; a
// test checks that every table with a username column is listed.
var userTables = []string{
	"roster_items",
	"roster_versions",
	"offline_messages",
	"vcards",
	"private_xml",
	"blocklist",
	"last_activity",
}

// DeleteUser removes an account and everything stored for it in one
// transaction; storage.ErrNotFound, changing nothing, if it is not there.
func (s *Store) DeleteUser(ctx context.Context, host, username string) (err error) {
	defer s.done(storage.OpUserDelete, time.Now(), &err)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, qDeleteUser, host, username)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return storage.ErrNotFound
		}
		// One round trip for all the tables.
		b := &pgx.Batch{}
		for _, table := range userTables {
			b.Queue(`DELETE FROM `+table+` WHERE host = $1 AND username = $2`, host, username)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fail("delete user", err)
	}
	return nil
}

// SetCredentials replaces all of an account's keys; storage.ErrNotFound if
// the account is absent.
func (s *Store) SetCredentials(ctx context.Context, host, username string, c storage.Credentials) (err error) {
	defer s.done(storage.OpCredentialsSet, time.Now(), &err)
	tag, err := s.pool.Exec(ctx, qSetCreds, credArgs(host, username, c)...)
	if err != nil {
		return fail("set credentials", err)
	}
	if tag.RowsAffected() == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// Credentials returns an account's keys; storage.ErrNotFound if absent.
// Empty salts and keys come back as nil.
func (s *Store) Credentials(ctx context.Context, host, username string) (c storage.Credentials, err error) {
	defer s.done(storage.OpCredentialsGet, time.Now(), &err)
	if err := s.pool.QueryRow(ctx, qGetCreds, host, username).Scan(credDest(&c)...); err != nil {
		return storage.Credentials{}, fail("get credentials", err)
	}
	return normalize(c), nil
}

// UserExists reports whether the account exists.
func (s *Store) UserExists(ctx context.Context, host, username string) (ok bool, err error) {
	defer s.done(storage.OpUserExists, time.Now(), &err)
	if err := s.pool.QueryRow(ctx, qUserExists, host, username).Scan(&ok); err != nil {
		return false, fail("user exists", err)
	}
	return ok, nil
}

// ListUsers returns the usernames of host in ascending byte order; an empty
// (non-nil) slice when there are none.
func (s *Store) ListUsers(ctx context.Context, host string) (names []string, err error) {
	defer s.done(storage.OpUserList, time.Now(), &err)
	rows, _ := s.pool.Query(ctx, qListUsers, host)
	names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fail("list users", err)
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// credArgs flattens host, username and c in the $1..$14 order the queries
// use. Empty byte slices become NULL so that "no keys for this hash" has
// one representation in the table.
func credArgs(host, username string, c storage.Credentials) []any {
	a := make([]any, 0, 14)
	a = append(a, host, username)
	for _, k := range []*storage.SCRAMKeys{&c.SHA1, &c.SHA256, &c.SHA512} {
		a = append(a, bytea(k.Salt), k.Iterations, bytea(k.StoredKey), bytea(k.ServerKey))
	}
	return a
}

// credDest returns scan destinations for c in credColumns order.
func credDest(c *storage.Credentials) []any {
	d := make([]any, 0, 12)
	for _, k := range []*storage.SCRAMKeys{&c.SHA1, &c.SHA256, &c.SHA512} {
		d = append(d, &k.Salt, &k.Iterations, &k.StoredKey, &k.ServerKey)
	}
	return d
}

func bytea(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// normalize makes empty salts and keys nil, whatever the driver returned.
func normalize(c storage.Credentials) storage.Credentials {
	for _, k := range []*storage.SCRAMKeys{&c.SHA1, &c.SHA256, &c.SHA512} {
		for _, b := range []*[]byte{&k.Salt, &k.StoredKey, &k.ServerKey} {
			if len(*b) == 0 {
				*b = nil
			}
		}
	}
	return c
}
