package sqlite

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/migrate"
)

func versions(t *testing.T, s *Store) []int {
	t.Helper()
	vs, err := target{s.w}.Applied(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(vs)
	return vs
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	if migrationsErr != nil {
		t.Fatal(migrationsErr)
	}
	if len(migrations) == 0 {
		t.Fatal("no embedded migrations")
	}
}

// TestMigrateFromOlderVersion opens a database at the current schema, then
// migrates it as a newer build would: only the new version runs. Version 1
// is a plain CREATE TABLE, so running it twice would fail.
func TestMigrateFromOlderVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	s := open(t, path, Options{AutoMigrate: true})
	if err := s.CreateUser(t.Context(), "h", "alice", storage.Credentials{}); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, s); len(got) != len(migrations) || got[len(got)-1] != len(migrations) {
		t.Fatalf("versions = %v, want 1..%d", got, len(migrations))
	}

	newer := append(slices.Clone(migrations), migrate.Migration{
		Version: len(migrations) + 1,
		Name:    "9999_probe.sql",
		SQL:     "CREATE TABLE probe (x INTEGER); INSERT INTO probe VALUES (42);",
	})
	if err := s.migrate(t.Context(), newer); err != nil {
		t.Fatalf("migrate to newer: %v", err)
	}
	if err := s.migrate(t.Context(), newer); err != nil {
		t.Fatalf("migrate to newer again: %v", err)
	}
	var rows, x int
	if err := s.w.QueryRowContext(t.Context(), "SELECT count(*), max(x) FROM probe").Scan(&rows, &x); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || x != 42 {
		t.Fatalf("probe migration ran %d times", rows)
	}
	if got := versions(t, s); len(got) != len(newer) || got[len(got)-1] != len(newer) {
		t.Fatalf("versions = %v, want 1..%d", got, len(newer))
	}
	if ok, err := s.UserExists(t.Context(), "h", "alice"); err != nil || !ok {
		t.Fatalf("UserExists after migrating = %v, %v", ok, err)
	}

	// The database is now ahead of this build's migrations.
	err := s.Migrate(t.Context())
	if !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("Migrate on a newer schema: err = %v, want storage.ErrSchemaTooNew", err)
	}
}

// TestMigrateFailureRollsBack checks that a failing migration leaves
// neither its changes nor its version behind.
func TestMigrateFailureRollsBack(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "m.db"), Options{AutoMigrate: true})
	bad := append(slices.Clone(migrations), migrate.Migration{
		Version: len(migrations) + 1,
		Name:    "9999_bad.sql",
		SQL:     "CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;",
	})
	if err := s.migrate(t.Context(), bad); err == nil {
		t.Fatal("bad migration succeeded")
	}
	if got := versions(t, s); len(got) != len(migrations) {
		t.Fatalf("versions = %v after a failed migration", got)
	}
	var n int
	if err := s.w.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_schema WHERE name = 'half'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("failed migration left its table behind")
	}
}

func TestMigrateWithoutAutoMigrate(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "m.db"), Options{})
	if err := s.CreateUser(t.Context(), "h", "u", storage.Credentials{}); err == nil {
		t.Fatal("CreateUser before Migrate succeeded")
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(t.Context(), "h", "u", storage.Credentials{}); err != nil {
		t.Fatal(err)
	}
}
