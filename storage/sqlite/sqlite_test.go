package sqlite

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/storagetest"
)

func open(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts)
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
	storagetest.Run(t, storagetest.Factory{
		New: func(t *testing.T) storage.Store {
			return open(t, filepath.Join(t.TempDir(), "meerkat.db"), Options{AutoMigrate: true})
		},
		Reopen: func(t *testing.T, old storage.Store) storage.Store {
			return open(t, old.(*Store).path, Options{AutoMigrate: true})
		},
	})
}

func TestOpenSetsUpConnections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "meerkat.db")
	s := open(t, path, Options{AutoMigrate: true, BusyTimeout: 1234 * time.Millisecond})
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file: %v", err)
	}
	pragmas := []struct {
		db     *sql.DB
		pragma string
		want   string
	}{
		{s.w, "journal_mode", "wal"},
		{s.r, "journal_mode", "wal"},
		{s.w, "foreign_keys", "1"},
		{s.r, "foreign_keys", "1"},
		{s.w, "busy_timeout", "1234"},
		{s.r, "busy_timeout", "1234"},
		{s.w, "synchronous", "1"},
		{s.w, "query_only", "0"},
		{s.r, "query_only", "1"},
	}
	for _, p := range pragmas {
		which := "writer"
		if p.db == s.r {
			which = "reader"
		}
		var got string
		if err := p.db.QueryRowContext(t.Context(), "PRAGMA "+p.pragma).Scan(&got); err != nil {
			t.Fatalf("%s PRAGMA %s: %v", which, p.pragma, err)
		}
		if got != p.want {
			t.Errorf("%s PRAGMA %s = %q, want %q", which, p.pragma, got, p.want)
		}
	}
	if st := s.w.Stats(); st.MaxOpenConnections != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", st.MaxOpenConnections)
	}
}

func TestOpenRejectsNonFile(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := Open(t.Context(), p, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

func TestOpenOddPath(t *testing.T) {
	// Characters that mean something in a URI must stay part of the name.
	path := filepath.Join(t.TempDir(), "odd ?#%name", "m&k=1.db")
	s := open(t, path, Options{AutoMigrate: true})
	if err := s.CreateUser(t.Context(), "h", "u", storage.Credentials{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not where asked: %v", err)
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
	s := open(t, filepath.Join(t.TempDir(), "m.db"), Options{
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
}

func BenchmarkCredentialsGet(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "m.db"), Options{AutoMigrate: true})
	storagetest.BenchmarkCredentialsGet(b, s)
}

func TestObserveEveryOperation(t *testing.T) {
	storagetest.RunObserve(t, func(t *testing.T, obs storage.Observer) storage.Store {
		return open(t, filepath.Join(t.TempDir(), "m.db"), Options{AutoMigrate: true, Observe: obs})
	})
}

// TestUserTablesComplete keeps DeleteUser honest: every table with a
// username column (other than users) must be in userTables, and every
// listed table must exist.
func TestUserTablesComplete(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "m.db"), Options{AutoMigrate: true})
	rows, err := s.r.QueryContext(t.Context(), `SELECT m.name FROM sqlite_schema AS m, pragma_table_info(m.name) AS c
		WHERE m.type = 'table' AND c.name = 'username' AND m.name <> 'users' ORDER BY m.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(userTables))
	if !slices.Equal(got, want) {
		t.Fatalf("tables with a username column: %q\nuserTables: %q", got, want)
	}
}

func BenchmarkRosterItems(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "m.db"), Options{AutoMigrate: true})
	storagetest.BenchmarkRosterItems(b, s)
}

func BenchmarkStoreOffline(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "m.db"), Options{AutoMigrate: true})
	storagetest.BenchmarkStoreOffline(b, s)
}
