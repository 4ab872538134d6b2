package postgres

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meerkat-xmpp/meerkat/internal/testpg"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/migrate"
)

func versions(t *testing.T, s *Store) []int {
	t.Helper()
	vs, err := target{s}.Applied(t.Context())
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

// TestMigrateFromOlderVersion migrates a database at the current schema as
// a newer build would: only the new version runs. Version 1 is a plain
// CREATE TABLE, so running it twice would fail.
func TestMigrateFromOlderVersion(t *testing.T) {
	s := open(t, testpg.DSN(t), Options{AutoMigrate: true})
	ctx := t.Context()
	if err := s.CreateUser(ctx, "h", "alice", storage.Credentials{}); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, s); len(got) != len(migrations) || got[len(got)-1] != len(migrations) {
		t.Fatalf("versions = %v, want 1..%d", got, len(migrations))
	}
	newer := append(slices.Clone(migrations), migrate.Migration{
		Version: len(migrations) + 1,
		Name:    "9999_probe.sql",
		SQL:     "CREATE TABLE probe (x integer); INSERT INTO probe VALUES (42);",
	})
	for range 2 {
		if err := s.migrate(ctx, newer); err != nil {
			t.Fatalf("migrate to newer: %v", err)
		}
	}
	var rows, x int
	if err := s.pool.QueryRow(ctx, "SELECT count(*), max(x) FROM probe").Scan(&rows, &x); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || x != 42 {
		t.Fatalf("probe migration ran %d times", rows)
	}
	if got := versions(t, s); len(got) != len(newer) || got[len(got)-1] != len(newer) {
		t.Fatalf("versions = %v, want 1..%d", got, len(newer))
	}
	if ok, err := s.UserExists(ctx, "h", "alice"); err != nil || !ok {
		t.Fatalf("UserExists after migrating = %v, %v", ok, err)
	}
	if err := s.Migrate(ctx); !errors.Is(err, storage.ErrSchemaTooNew) {
		t.Fatalf("Migrate on a newer schema: err = %v, want storage.ErrSchemaTooNew", err)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	s := open(t, testpg.DSN(t), Options{AutoMigrate: true})
	bad := append(slices.Clone(migrations), migrate.Migration{
		Version: len(migrations) + 1,
		Name:    "9999_bad.sql",
		SQL:     "CREATE TABLE half (x integer); SELECT * FROM no_such_table;",
	})
	if err := s.migrate(t.Context(), bad); err == nil {
		t.Fatal("bad migration succeeded")
	}
	if got := versions(t, s); len(got) != len(migrations) {
		t.Fatalf("versions = %v after a failed migration", got)
	}
	var exists bool
	if err := s.pool.QueryRow(t.Context(), "SELECT to_regclass('half') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("failed migration left its table behind (%v)", err)
	}
}

// TestConcurrentMigrate starts several nodes on one empty database at
// once: each version is applied exactly once and nobody fails.
func TestConcurrentMigrate(t *testing.T) {
	dsn := testpg.DSN(t)
	const nodes = 6
	stores := make([]*Store, nodes)
	for i := range stores {
		stores[i] = open(t, dsn, Options{MaxConns: 2, Schema: "shared"})
	}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			if err := s.Migrate(t.Context()); err != nil {
				t.Errorf("Migrate: %v", err)
			}
		})
	}
	wg.Wait()
	if got := versions(t, stores[0]); len(got) != len(migrations) {
		t.Fatalf("versions = %v", got)
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
	dsn := testpg.DSN(t)
	s := open(t, dsn, Options{})
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
	var applied1 time.Time
	if err := s.pool.QueryRow(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&applied1); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// The new build starts: Open with AutoMigrate, as `meerkat serve` does.
	s = open(t, dsn, Options{AutoMigrate: true})
	want := make([]int, len(migrations))
	for i := range want {
		want[i] = i + 1
	}
	if got := versions(t, s); !slices.Equal(got, want) {
		t.Fatalf("versions = %v, want %v", got, want)
	}
	rows, _ := s.pool.Query(ctx, `SELECT name FROM schema_migrations ORDER BY version`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(names, migrationNames()) {
		t.Fatalf("recorded %q (%v), want %q", names, err, migrationNames())
	}
	var applied2 time.Time
	if err := s.pool.QueryRow(ctx, `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&applied2); err != nil || !applied2.Equal(applied1) {
		t.Fatalf("version 1 was recorded again (applied_at %v, was %v; %v)", applied2, applied1, err)
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
