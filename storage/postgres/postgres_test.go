package postgres

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/meerkat-xmpp/meerkat/internal/testpg"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/storagetest"
)

func TestMain(m *testing.M) { testpg.Main(m) }

func open(t testing.TB, dsn string, opts Options) *Store {
	t.Helper()
	if opts.MaxConns == 0 {
		// Parallel tests of several packages share one server and its
		// max_connections; two still lets the concurrency tests race.
		opts.MaxConns = 2
	}
	s, err := Open(t.Context(), dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestContract(t *testing.T) {
	var (
		mu   sync.Mutex
		dsns = map[storage.Store]string{}
	)
	storagetest.Run(t, storagetest.Factory{
		New: func(t *testing.T) storage.Store {
			dsn := testpg.DSN(t)
			s := open(t, dsn, Options{AutoMigrate: true})
			mu.Lock()
			dsns[s] = dsn
			mu.Unlock()
			return s
		},
		Reopen: func(t *testing.T, old storage.Store) storage.Store {
			mu.Lock()
			dsn := dsns[old]
			mu.Unlock()
			s := open(t, dsn, Options{AutoMigrate: true})
			mu.Lock()
			dsns[s] = dsn
			mu.Unlock()
			return s
		},
	})
}

// TestContractInSchema runs the contract with Options.Schema, as
// deployments sharing a database would: every test gets a fresh schema in
// one database, so the parallel tests also check that schemas keep their
// data apart. (Creating a schema is also much cheaper than a database.)
func TestContractInSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("the contract already ran in the default schema")
	}
	dsn := testpg.DSN(t)
	var (
		mu      sync.Mutex
		n       int
		schemas = map[storage.Store]string{}
	)
	openIn := func(t *testing.T, schema string) storage.Store {
		s := open(t, dsn, Options{AutoMigrate: true, Schema: schema})
		mu.Lock()
		schemas[s] = schema
		mu.Unlock()
		return s
	}
	storagetest.Run(t, storagetest.Factory{
		New: func(t *testing.T) storage.Store {
			mu.Lock()
			n++
			schema := fmt.Sprintf("Meerkat Schema %d", n) // needs quoting
			mu.Unlock()
			return openIn(t, schema)
		},
		Reopen: func(t *testing.T, old storage.Store) storage.Store {
			mu.Lock()
			schema := schemas[old]
			mu.Unlock()
			return openIn(t, schema)
		},
	})
}

// TestSchemasAreSeparate puts two stores in two schemas of one database.
func TestSchemasAreSeparate(t *testing.T) {
	dsn := testpg.DSN(t)
	a := open(t, dsn, Options{AutoMigrate: true, Schema: "a"})
	b := open(t, dsn, Options{AutoMigrate: true, Schema: "b"})
	ctx := t.Context()
	if err := a.CreateUser(ctx, "h", "alice", storage.Credentials{}); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.UserExists(ctx, "h", "alice"); err != nil || ok {
		t.Fatalf("schema b sees schema a's user: %v, %v", ok, err)
	}
	var n int
	if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'public'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d tables leaked into public (%v)", n, err)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.Context(), "postgres://%zz", Options{}); err == nil {
		t.Error("bad DSN accepted")
	}
	// A port nothing listens on: Open must fail rather than hand out a
	// pool that fails later.
	if _, err := Open(t.Context(), "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", Options{}); err == nil {
		t.Error("Open succeeded against a closed port")
	}
}

func TestMaxConns(t *testing.T) {
	s := open(t, testpg.DSN(t), Options{MaxConns: 3})
	if got := s.pool.Config().MaxConns; got != 3 {
		t.Fatalf("MaxConns = %d, want 3", got)
	}
}

func TestObserve(t *testing.T) {
	type call struct {
		op  string
		err error
	}
	var (
		mu    sync.Mutex
		calls []call
	)
	s := open(t, testpg.DSN(t), Options{
		AutoMigrate: true,
		Observe: func(op string, d time.Duration, err error) {
			if d <= 0 {
				t.Errorf("%s: duration %v", op, d)
			}
			mu.Lock()
			calls = append(calls, call{op, err})
			mu.Unlock()
		},
	})
	ctx := t.Context()
	s.CreateUser(ctx, "h", "u", storage.Credentials{})
	s.CreateUser(ctx, "h", "u", storage.Credentials{})
	s.Credentials(ctx, "h", "u")
	s.SetCredentials(ctx, "h", "u", storage.Credentials{})
	s.UserExists(ctx, "h", "u")
	s.ListUsers(ctx, "h")
	s.DeleteUser(ctx, "h", "u")
	s.Credentials(ctx, "h", "u")

	want := []call{
		{storage.OpMigrate, nil},
		{storage.OpUserCreate, nil},
		{storage.OpUserCreate, storage.ErrExists},
		{storage.OpCredentialsGet, nil},
		{storage.OpCredentialsSet, nil},
		{storage.OpUserExists, nil},
		{storage.OpUserList, nil},
		{storage.OpUserDelete, nil},
		{storage.OpCredentialsGet, storage.ErrNotFound},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != len(want) {
		t.Fatalf("observed %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i].op != want[i].op || !errors.Is(calls[i].err, want[i].err) || (want[i].err == nil) != (calls[i].err == nil) {
			t.Errorf("call %d = %v, want %v", i, calls[i], want[i])
		}
	}
	if !slices.Contains(storage.Ops(), storage.OpMigrate) {
		t.Error("Ops lacks migrate")
	}
}

func BenchmarkCredentialsGet(b *testing.B) {
	s := open(b, testpg.DSN(b), Options{AutoMigrate: true})
	storagetest.BenchmarkCredentialsGet(b, s)
}

func TestObserveEveryOperation(t *testing.T) {
	storagetest.RunObserve(t, func(t *testing.T, obs storage.Observer) storage.Store {
		return open(t, testpg.DSN(t), Options{AutoMigrate: true, Observe: obs})
	})
}

// TestUserTablesComplete keeps DeleteUser honest: every table with a
// username column (other than users) must be in userTables, and every
// listed table must exist.
func TestUserTablesComplete(t *testing.T) {
	s := open(t, testpg.DSN(t), Options{AutoMigrate: true})
	rows, _ := s.pool.Query(t.Context(), `SELECT table_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'username' AND table_name <> 'users'
		ORDER BY table_name COLLATE "C"`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(userTables))
	if !slices.Equal(got, want) {
		t.Fatalf("tables with a username column: %q\nuserTables: %q", got, want)
	}
}

func BenchmarkRosterItems(b *testing.B) {
	s := open(b, testpg.DSN(b), Options{AutoMigrate: true})
	storagetest.BenchmarkRosterItems(b, s)
}

func BenchmarkStoreOffline(b *testing.B) {
	s := open(b, testpg.DSN(b), Options{AutoMigrate: true})
	storagetest.BenchmarkStoreOffline(b, s)
}
