// Package postgres is the production storage backend, on PostgreSQL through
// pgx/v5 and its connection pool. Several Meerkat nodes may share one
// database: migrations take an advisory lock, so nodes starting together
// apply each version once.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/migrate"
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// AutoMigrate runs Migrate inside Open, so the returned Store is at the
	// newest schema.
	AutoMigrate bool
	// MaxConns caps the pool. Zero keeps pgxpool's default, the greater of
	// 4 and the number of CPUs.
	MaxConns int32
	// Schema, if set, is the only schema on every connection's search_path;
	// Migrate creates it if needed. It lets several deployments, or tests,
	// share one database. Empty keeps the server's search_path.
	Schema string
	// Observe, if set, is told the latency and result of every operation.
	Observe storage.Observer
}

// Store is a storage.Store on a PostgreSQL database. It is safe for
// concurrent use; Close it once when done.
type Store struct {
	pool    *pgxpool.Pool
	schema  string
	observe storage.Observer
}

var _ storage.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded schema versions, read once; a bad file name
// is a build mistake and surfaces from every Migrate.
var migrations, migrationsErr = migrate.Load(migrationFiles, "migrations")

// Open connects to the database at dsn (a postgres:// URL or key=value
// string, as libpq takes) and checks that it answers.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
		cfg.MinConns = min(cfg.MinConns, opts.MaxConns)
	}
	if opts.Schema != "" {
		// A startup parameter rather than a SET after connecting: it holds
		// for every connection the pool ever makes, with no extra round
		// trip and no window where a query could run without it.
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, schema: opts.Schema, observe: opts.Observe}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if opts.AutoMigrate {
		if err := s.Migrate(ctx); err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close closes the pool, waiting for connections in use to be returned.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// done reports one finished operation to the observer. It takes the error
// by pointer so that `defer s.done(op, time.Now(), &err)` sees the value the
// method finally returns.
func (s *Store) done(op string, start time.Time, err *error) {
	if s.observe != nil {
		s.observe(op, time.Since(start), *err)
	}
}

// fail turns a driver error into the storage contract's errors: a unique
// violation is storage.ErrExists and no rows storage.ErrNotFound, bare so
// that errors.Is is cheap on the login path. The contract's own errors,
// returned from inside a transaction, pass through bare too. Anything else
// is wrapped with the operation's name.
func fail(op string, err error) error {
	switch err {
	case storage.ErrNotFound, storage.ErrExists, storage.ErrLimit:
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ErrNotFound
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" { // unique_violation
		return storage.ErrExists
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// userLockKey is the advisory lock that orders one user's writes of kind
// (such as "offline"). Distinct users may share a key, rarely, and then
// only wait for each other.
func (s *Store) userLockKey(kind, host, user string) int64 {
	h := fnv.New64a()
	h.Write([]byte("meerkat " + kind + "\x00" + s.schema + "\x00" + host + "\x00" + user))
	return int64(h.Sum64())
}

// lockKey is the advisory lock Migrate holds, one per schema so that
// deployments sharing a database do not wait for each other.
func (s *Store) lockKey() int64 {
	h := fnv.New64a()
	h.Write([]byte("meerkat migrate\x00" + s.schema))
	return int64(h.Sum64())
}
