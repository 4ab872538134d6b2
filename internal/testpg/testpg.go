// Package testpg gives tests a real PostgreSQL: each call to DSN creates an
// empty database for the calling test and drops it when the test ends.
// PostgreSQL is never mocked (see DESIGN.md, "Real parts in tests").
//
// # Where the server comes from
//
// The first DSN call in a test binary looks, in this order, for:
//
//  1. MEERKAT_TEST_POSTGRES, a DSN (URL or key=value form) of a role that
//     may create databases. The special value "initdb" skips to step 3.
//  2. A server on 127.0.0.1:5432 that accepts user postgres, then user
//     root, without a password (trust authentication, as on a developer's
//     machine or a CI service container).
//  3. A throwaway cluster: initdb and postgres from the PATH or from
//     /usr/lib/postgresql/*/bin (newest first), in a fresh folder under
//     os.TempDir, on a free port of 127.0.0.1, with fsync off. When the
//     binary runs as root, which initdb refuses, the cluster runs as the
//     postgres system user (or nobody). One cluster serves the whole test
//     binary.
//
// When none of these is available the test is skipped, saying why, unless
// the environment has CI=true: there a missing PostgreSQL fails the test,
// so CI can never pass by silently testing nothing. An explicit
// MEERKAT_TEST_POSTGRES that does not work always fails, and so does a
// throwaway cluster that will not start (the error carries its log).
//
// # Using it
//
// A package whose tests call DSN should stop the throwaway cluster when its
// tests end:
//
//	func TestMain(m *testing.M) { testpg.Main(m) }
//
// Without Main the cluster still goes away: the server runs as a child that
// the kernel signals when the test binary exits, and the next binary to
// start a cluster removes folders left behind by binaries that are gone.
// Main stops it cleanly and removes its folder at once.
//
// Test databases use an ICU English collation when the server supports it,
// as production databases often do, so that SQL which relies on byte order
// without saying COLLATE "C" fails here rather than in production.
package testpg

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the environment variable that points tests at a server.
const Env = "MEERKAT_TEST_POSTGRES"

// EnvInitdb is the Env value that forces a throwaway cluster even when a
// server is running on 127.0.0.1:5432.
const EnvInitdb = "initdb"

// localCandidates are the servers tried when Env is unset.
var localCandidates = []string{
	"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3",
	"postgres://root@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3",
}

// server is the PostgreSQL this test binary found or started.
type server struct {
	admin   string   // DSN of a role that may create databases
	source  string   // how it was found, for test logs
	cluster *cluster // non-nil if this binary started it
}

var (
	findOnce sync.Once
	found    *server
	findErr  error // set when a server was expected but does not work
	skipWhy  string

	dbSeq  atomic.Int64
	noICU  atomic.Bool // the server refused an ICU database once; stop asking
	mainMu sync.Mutex  // serializes Main's stop with a late find
)

// DSN returns the DSN of a new, empty database for t, dropped when t ends.
// It skips t, or fails it under CI=true, when no PostgreSQL is available.
func DSN(t testing.TB) string {
	t.Helper()
	s := find()
	if !usable(t, s, findErr, skipWhy) {
		return ""
	}

	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.createDB(ctx, name); err != nil {
		t.Fatalf("testpg: create database on %s: %v", s.source, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.dropDB(ctx, name); err != nil {
			t.Errorf("testpg: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(s.admin, name)
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Logf("testpg: database %s on %s", name, s.source)
	return dsn
}

// usable fails or skips t when there is no server s, and says whether
// there is one. The returns after Fatalf and Skipf matter only to tests of
// this function, whose t does not stop the goroutine.
func usable(t testing.TB, s *server, err error, skip string) bool {
	t.Helper()
	switch {
	case err != nil:
		t.Fatalf("testpg: %v", err)
		return false
	case s == nil && os.Getenv("CI") == "true":
		t.Fatalf("testpg: no PostgreSQL, and CI=true makes that a failure rather than a skip: %s", skip)
		return false
	case s == nil:
		t.Skipf("testpg: no PostgreSQL: %s", skip)
		return false
	}
	return true
}

// Main runs m's tests, stops the throwaway cluster if one was started,
// and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testpg: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// stop shuts down a cluster this binary started; a no-op otherwise.
func stop() error {
	mainMu.Lock()
	defer mainMu.Unlock()
	if found == nil || found.cluster == nil {
		return nil
	}
	err := found.cluster.stop()
	found = nil
	findErr = errors.New("the throwaway cluster was stopped by Main")
	return err
}

// find locates or starts the server once per test binary.
func find() *server {
	findOnce.Do(func() {
		mainMu.Lock()
		defer mainMu.Unlock()
		found, findErr, skipWhy = locate()
	})
	return found
}

// locate walks the order documented on the package.
func locate() (s *server, err error, skip string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	env := os.Getenv(Env)
	switch env {
	case "":
	case EnvInitdb:
		c, err := startCluster(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", Env, EnvInitdb, err), ""
		}
		return &server{admin: c.dsn, source: "throwaway cluster " + c.dir, cluster: c}, nil, ""
	default:
		if err := checkAdmin(ctx, env); err != nil {
			return nil, fmt.Errorf("%s is set but unusable: %w", Env, err), ""
		}
		return &server{admin: env, source: Env}, nil, ""
	}

	var tried []string
	for _, dsn := range localCandidates {
		err := checkAdmin(ctx, dsn)
		if err == nil {
			return &server{admin: dsn, source: redact(dsn)}, nil, ""
		}
		tried = append(tried, fmt.Sprintf("%s: %v", redact(dsn), err))
	}

	bin, err := findBinDir()
	if err != nil {
		return nil, nil, fmt.Sprintf("%s is unset; %s; and %v", Env, strings.Join(tried, "; "), err)
	}
	c, err := startCluster(ctx)
	if err != nil {
		return nil, fmt.Errorf("no server on 127.0.0.1:5432, and a throwaway cluster with %s failed: %w", bin, err), ""
	}
	return &server{admin: c.dsn, source: "throwaway cluster " + c.dir, cluster: c}, nil, ""
}

// checkAdmin connects to dsn and makes sure the role can create databases.
func checkAdmin(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var ok bool
	err = conn.QueryRow(ctx, `SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&ok)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("role may not create databases")
	}
	return nil
}

func (s *server) createDB(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	ident := pgx.Identifier{name}.Sanitize()
	if !noICU.Load() {
		// template0, because a database with another collation than the
		// template's must be copied from it.
		_, err = conn.Exec(ctx, `CREATE DATABASE `+ident+` TEMPLATE template0 ENCODING 'UTF8'
			LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`)
		if err == nil {
			return nil
		}
		noICU.Store(true) // older than 15 or built without ICU
	}
	_, err = conn.Exec(ctx, `CREATE DATABASE `+ident)
	return err
}

func (s *server) dropDB(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// A test that leaked a connection must not keep its database alive:
	// end its sessions first (DROP ... WITH (FORCE) needs version 13).
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize())
	return err
}

// dbName makes a database name that is unique across concurrent test
// binaries (the pid) and within one (a counter), and says which test made
// it, for whoever finds it left behind.
func dbName(test string) string {
	name := "meerkat_test_" + strconv.Itoa(os.Getpid()) + "_" + strconv.FormatInt(dbSeq.Add(1), 10) + "_"
	for _, r := range strings.ToLower(test) {
		if len(name) >= 63 { // NAMEDATALEN-1
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			name += string(r)
		} else if !strings.HasSuffix(name, "_") {
			name += "_"
		}
	}
	return name
}

// withDatabase returns dsn pointing at database name instead.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// key=value form: a later key wins, so appending is enough.
	return strings.TrimSpace(dsn) + " dbname=" + name, nil
}

// redact hides a password for logs.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "a key=value DSN"
}
