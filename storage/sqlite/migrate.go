package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/migrate"
)

// Migrate applies the embedded migrations the database does not have yet,
// each in its own transaction, and records them in schema_migrations. It is
// a no-op on an up-to-date database and fails with a clear error on one
// migrated by a newer build.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer s.done(storage.OpMigrate, time.Now(), &err)
	if migrationsErr != nil {
		return fmt.Errorf("sqlite: %w", migrationsErr)
	}
	return s.migrate(ctx, migrations)
}

// migrate runs ms; tests pass their own list to simulate a newer build.
func (s *Store) migrate(ctx context.Context, ms []migrate.Migration) error {
	if err := migrate.Run(ctx, target{s.w}, ms); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// target is migrate.Target on the write connection.
type target struct{ db *sql.DB }

func (t target) Init(ctx context.Context) error {
	_, err := t.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL DEFAULT (unixepoch())
	) STRICT`)
	return err
}

func (t target) Applied(ctx context.Context) ([]int, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

func (t target) Apply(ctx context.Context, m migrate.Migration) error {
	// BEGIN IMMEDIATE (the writer's _txlock) holds the write lock from the
	// start, so a second process migrating at the same time waits here and
	// then sees the version recorded.
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
		return err
	}
	return tx.Commit()
}
