package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/migrate"
)

// Migrate applies the embedded migrations the database does not have yet,
// each in its own transaction, and records them in schema_migrations. It is
// a no-op on an up-to-date database and fails with a clear error on one
// migrated by a newer build. Nodes that migrate at the same time take turns
// on an advisory lock.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer s.done(storage.OpMigrate, time.Now(), &err)
	if migrationsErr != nil {
		return fmt.Errorf("postgres: %w", migrationsErr)
	}
	return s.migrate(ctx, migrations)
}

// migrate runs ms; tests pass their own list to simulate a newer build.
func (s *Store) migrate(ctx context.Context, ms []migrate.Migration) error {
	if err := migrate.Run(ctx, target{s}, ms); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// target is migrate.Target on the pool. Init and Apply each run in a
// transaction holding the migration lock, which PostgreSQL releases at
// commit or rollback, so a failed migration can never leave it held.
type target struct{ s *Store }

func (t target) locked(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, t.s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, t.s.lockKey()); err != nil {
			return err
		}
		return fn(tx)
	})
}

func (t target) Init(ctx context.Context) error {
	// Even IF NOT EXISTS races between sessions (both may insert the
	// catalog row), hence the lock.
	return t.locked(ctx, func(tx pgx.Tx) error {
		if t.s.schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{t.s.schema}.Sanitize()); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`)
		return err
	})
}

func (t target) Applied(ctx context.Context) ([]int, error) {
	rows, _ := t.s.pool.Query(ctx, `SELECT version FROM schema_migrations`)
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

func (t target) Apply(ctx context.Context, m migrate.Migration) error {
	return t.locked(ctx, func(tx pgx.Tx) error {
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done); err != nil {
			return err
		}
		if done { // another node got here first
			return nil
		}
		// No arguments: pgx sends it with the simple protocol, which
		// accepts a file of several statements.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		return err
	})
}
