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

// TestMigrateFromVersion1 upgrades a database that an older build left at
// version 1 (accounts only): Migrate applies the later versions only, once,
// and the accounts survive into a store that can use every table.
func TestMigrateFromVersion1(t *testing.T) {
	if len(migrations) < 2 || migrations[1].Name != "0002_im.sql" {
		t.Fatalf("embedded migrations: want 0001_users.sql then 0002_im.sql, have %v", migrationNames())
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "m.db")
	s := open(t, path, Options{})
	if err := s.migrate(ctx, migrations[:1]); err != nil {
		t.Fatalf("migrate to version 1: %v", err)
	}
	if err := s.CreateUser(ctx, "h", "alice", storage.Credentials{}); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, s); !slices.Equal(got, []int{1}) {
		t.Fatalf("versions = %v, want [1]", got)
	}
	if _, _, err := s.RosterItems(ctx, "h", "alice"); err == nil {
		t.Fatal("RosterItems works on a version-1 schema")
	}
	var applied1 int64
	if err := s.w.QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&applied1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The new build starts: Open with AutoMigrate, as `meerkat serve` does.
	s = open(t, path, Options{AutoMigrate: true})
	want := make([]int, len(migrations))
	for i := range want {
		want[i] = i + 1
	}
	if got := versions(t, s); !slices.Equal(got, want) {
		t.Fatalf("versions = %v, want %v", got, want)
	}
	var (
		names    []string
		applied2 int64
	)
	rows, err := s.w.QueryContext(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if !slices.Equal(names, migrationNames()) {
		t.Fatalf("recorded %q, want %q", names, migrationNames())
	}
	if err := s.w.QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&applied2); err != nil || applied2 != applied1 {
		t.Fatalf("version 1 was recorded again (applied_at %d, was %d; %v)", applied2, applied1, err)
	}
	if ok, err := s.UserExists(ctx, "h", "alice"); err != nil || !ok {
		t.Fatalf("UserExists after the upgrade = %v, %v", ok, err)
	}
	if v, err := s.SetRosterItem(ctx, "h", "alice", storage.RosterItem{JID: "bob@h", Subscription: storage.SubBoth}); err != nil || v != "1" {
		t.Fatalf("SetRosterItem after the upgrade = %q, %v", v, err)
	}
	if err := s.StoreOffline(ctx, "h", "alice", storage.OfflineMessage{From: "bob@h", Stanza: []byte("<message/>")}, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "h", "alice"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountOffline(ctx, "h", "alice"); err != nil || n != 0 {
		t.Fatalf("CountOffline after DeleteUser = %d, %v", n, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
}

func migrationNames() []string {
	var ns []string
	for _, m := range migrations {
		ns = append(ns, m.Name)
	}
	return ns
}
