// Package sqlite is the embedded storage backend: one database file in the
// data folder, opened through the pure-Go modernc.org/sqlite driver so that
// `meerkat serve` needs neither a C library nor a database service.
//
// SQLite lets one connection write at a time. A Store therefore keeps one
// write connection, so concurrent writes queue inside the process instead of
// failing with SQLITE_BUSY, and a pool of read-only connections that, in WAL
// mode, read while the writer writes. busy_timeout covers the remaining case
// of another process (such as `meerkat user add` next to a running server)
// holding the write lock.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/internal/migrate"
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// AutoMigrate runs Migrate inside Open, so the returned Store is at the
	// newest schema. Without it the caller runs Migrate (as `meerkat
	// migrate` does) before using the Store.
	AutoMigrate bool
	// BusyTimeout is how long a statement waits for a lock that another
	// process holds before failing. Zero means 5 seconds.
	BusyTimeout time.Duration
	// MaxReaders caps the read-only connections. Zero means
	// max(4, GOMAXPROCS).
	MaxReaders int
	// Observe, if set, is told the latency and result of every operation.
	Observe storage.Observer
}

// Store is a storage.Store on one SQLite file. It is safe for concurrent
// use; Close it once when done.
type Store struct {
	path    string  // absolute; for errors and for tests that reopen it
	w, r    *sql.DB // w: the single writer; r: the read-only pool
	observe storage.Observer

	getCreds lazyStmt // the login hot path, prepared once on r
	exists   lazyStmt
	roster   lazyStmt // RosterItems, read at every login, on r
	offline  lazyStmt // StoreOffline's insert, on w

	closeOnce sync.Once
	closeErr  error
}

var _ storage.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded schema versions, read once; a bad file name
// is a build mistake and surfaces from every Migrate.
var migrations, migrationsErr = migrate.Load(migrationFiles, "migrations")

// Open opens (creating if needed) the database file at path, creating its
// parent folder too. path is a file system path, not a DSN or ":memory:":
// the reader and writer connections must share one file.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: want a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	readers := opts.MaxReaders
	if readers <= 0 {
		readers = max(4, runtime.GOMAXPROCS(0))
	}

	s := &Store{path: abs, observe: opts.Observe}
	s.getCreds.query = qGetCreds
	s.exists.query = qUserExists
	s.roster.query = qRosterItems
	s.offline.query = qStoreOffline
	// The writer goes first: journal_mode=WAL is stored in the file, and
	// the readers must find it set. _txlock=immediate takes the write lock
	// at BEGIN, so a transaction never fails half way for want of it.
	s.w, err = sql.Open("sqlite", dsn(abs, busy, "_txlock=immediate", "_pragma=journal_mode(WAL)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}

	s.r, err = sql.Open("sqlite", dsn(abs, busy, "_pragma=query_only(1)"))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}

	if opts.AutoMigrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// dsn builds the driver's URI for the file at abs. The pragmas every
// connection needs are set here so that a connection database/sql opens
// later gets them too: busy_timeout, foreign keys (enforced, should a
// migration declare any; account data does not use them, see
// 0002_im.sql) and synchronous=NORMAL, which in WAL mode survives a crash
// of the process and costs one fsync per checkpoint instead of one per
// commit.
func dsn(abs string, busy time.Duration, extra ...string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		q.Add(k, v)
	}
	return "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?" + q.Encode()
}

// Close releases the connections. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		errs := []error{s.getCreds.close(), s.exists.close(), s.roster.close(), s.offline.close()}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", err)
		}
	})
	return s.closeErr
}

// inTx runs fn in a transaction on the writer, which _txlock=immediate
// starts with the write lock held, and commits if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// done reports one finished operation to the observer. It takes the error
// by pointer so that `defer s.done(op, time.Now(), &err)` sees the value the
// method finally returns.
func (s *Store) done(op string, start time.Time, err *error) {
	if s.observe != nil {
		s.observe(op, time.Since(start), *err)
	}
}

// fail turns a driver error into the storage contract's errors: a
// uniqueness violation is storage.ErrExists and a missing row
// storage.ErrNotFound, bare so that errors.Is is cheap on the login path.
// The contract's own errors, returned from inside a transaction, pass
// through bare too. Anything else is wrapped with the operation's name.
func fail(op string, err error) error {
	switch err {
	case storage.ErrNotFound, storage.ErrExists, storage.ErrLimit:
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return storage.ErrExists
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
