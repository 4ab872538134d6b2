package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// credColumns are the users columns holding storage.Credentials, in the
// order credArgs and scanCreds use.
const credColumns = `sha1_salt, sha1_iterations, sha1_stored_key, sha1_server_key,
	sha256_salt, sha256_iterations, sha256_stored_key, sha256_server_key,
	sha512_salt, sha512_iterations, sha512_stored_key, sha512_server_key`

const (
	qCreateUser = `INSERT INTO users (host, username, ` + credColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (host, username) DO NOTHING`
	qSetCreds = `UPDATE users SET
		sha1_salt = ?, sha1_iterations = ?, sha1_stored_key = ?, sha1_server_key = ?,
		sha256_salt = ?, sha256_iterations = ?, sha256_stored_key = ?, sha256_server_key = ?,
		sha512_salt = ?, sha512_iterations = ?, sha512_stored_key = ?, sha512_server_key = ?
		WHERE host = ? AND username = ?`
	qGetCreds   = `SELECT ` + credColumns + ` FROM users WHERE host = ? AND username = ?`
	qUserExists = `SELECT EXISTS (SELECT 1 FROM users WHERE host = ? AND username = ?)`
	qDeleteUser = `DELETE FROM users WHERE host = ? AND username = ?`
	qListUsers  = `SELECT username FROM users WHERE host = ? ORDER BY username`
)

// CreateUser adds an account; storage.ErrExists if it is already there.
func (s *Store) CreateUser(ctx context.Context, host, username string, c storage.Credentials) (err error) {
	defer s.done(storage.OpUserCreate, time.Now(), &err)
	args := append([]any{host, username}, credArgs(c)...)
	// ON CONFLICT DO NOTHING rather than a failed INSERT: the duplicate is
	// an expected answer, not an error to parse.
	res, err := s.w.ExecContext(ctx, qCreateUser, args...)
	if err != nil {
		return fail("create user", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail("create user", err)
	} else if n == 0 {
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
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, qDeleteUser, host, username)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return storage.ErrNotFound
		}
		for _, table := range userTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE host = ? AND username = ?`, host, username); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return nil
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
	args := append(credArgs(c), host, username)
	res, err := s.w.ExecContext(ctx, qSetCreds, args...)
	if err != nil {
		return fail("set credentials", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail("set credentials", err)
	} else if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// Credentials returns an account's keys; storage.ErrNotFound if absent.
// Empty salts and keys come back as nil.
func (s *Store) Credentials(ctx context.Context, host, username string) (c storage.Credentials, err error) {
	defer s.done(storage.OpCredentialsGet, time.Now(), &err)
	st, err := s.getCreds.get(ctx, s.r)
	if err != nil {
		return storage.Credentials{}, fail("get credentials", err)
	}
	if err := st.QueryRowContext(ctx, host, username).Scan(credDest(&c)...); err != nil {
		return storage.Credentials{}, fail("get credentials", err)
	}
	return normalize(c), nil
}

// UserExists reports whether the account exists.
func (s *Store) UserExists(ctx context.Context, host, username string) (ok bool, err error) {
	defer s.done(storage.OpUserExists, time.Now(), &err)
	st, err := s.exists.get(ctx, s.r)
	if err != nil {
		return false, fail("user exists", err)
	}
	if err := st.QueryRowContext(ctx, host, username).Scan(&ok); err != nil {
		return false, fail("user exists", err)
	}
	return ok, nil
}

// ListUsers returns the usernames of host in ascending byte order; an empty
// (non-nil) slice when there are none.
func (s *Store) ListUsers(ctx context.Context, host string) (names []string, err error) {
	defer s.done(storage.OpUserList, time.Now(), &err)
	rows, err := s.r.QueryContext(ctx, qListUsers, host)
	if err != nil {
		return nil, fail("list users", err)
	}
	defer rows.Close()
	names = []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fail("list users", err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fail("list users", err)
	}
	return names, nil
}

// credArgs flattens c in credColumns order. Empty byte slices become NULL
// so that "no keys for this hash" has one representation on disk.
func credArgs(c storage.Credentials) []any {
	a := make([]any, 0, 14)
	for _, k := range []*storage.SCRAMKeys{&c.SHA1, &c.SHA256, &c.SHA512} {
		a = append(a, blob(k.Salt), k.Iterations, blob(k.StoredKey), blob(k.ServerKey))
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

func blob(b []byte) any {
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
