// Package testmysql gives tests a real MariaDB or MySQL: each call to DSN
// creates an empty database for the calling test and drops it when the
// test ends. The database is never mocked (see DESIGN.md, "Real parts in
// tests").
//
// The first DSN call in a test binary looks, in this order, for:
//
//  1. MEERKAT_TEST_MYSQL, a go-sql-driver DSN ("user:pass@tcp(host:port)/")
//     of an account that may create databases. The special value
//     "install" skips to step 3.
//  2. A server on 127.0.0.1:3306 that accepts root without a password.
//  3. A throwaway server: mariadb-install-db and mariadbd (from the PATH or
//     /usr/sbin, /usr/bin) in a fresh folder under os.TempDir, on a free
//     port of 127.0.0.1 and a unix socket in that folder. One server
//     serves the whole test binary; it dies with the binary.
//
// When none is available the test is skipped, saying why, unless CI=true:
// there a missing MariaDB fails the test.
//
//	func TestMain(m *testing.M) { testmysql.Main(m) }
//
// stops the throwaway server and removes its folder when the tests end.
package testmysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Env names the environment variable that points tests at a server.
const Env = "MEERKAT_TEST_MYSQL"

// EnvInstall is the Env value that forces a throwaway server.
const EnvInstall = "install"

const localDSN = "root@tcp(127.0.0.1:3306)/?timeout=3s"

type server struct {
	admin  string // DSN without a database
	source string
	inst   *instance // non-nil if this binary started it
}

var (
	findOnce sync.Once
	mu       sync.Mutex
	found    *server
	findErr  error
	skipWhy  string
	dbSeq    atomic.Int64
)

// DSN returns the DSN of a new, empty database for t (with parseTime and
// multiStatements on), dropped when t ends. It skips t, or fails it under
// CI=true, when no MariaDB is available.
func DSN(t testing.TB) string {
	t.Helper()
	findOnce.Do(func() {
		mu.Lock()
		defer mu.Unlock()
		found, findErr, skipWhy = locate()
	})
	mu.Lock()
	s, err := found, findErr
	mu.Unlock()
	switch {
	case err != nil:
		t.Fatalf("testmysql: %v", err)
	case s == nil && os.Getenv("CI") == "true":
		t.Fatalf("testmysql: no MariaDB, and CI=true makes that a failure rather than a skip: %s", skipWhy)
	case s == nil:
		t.Skipf("testmysql: no MariaDB: %s", skipWhy)
	}
	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := execSQL(ctx, s.admin, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"); err != nil {
		t.Fatalf("testmysql: create database on %s: %v", s.source, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := execSQL(ctx, s.admin, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("testmysql: drop database %s: %v", name, err)
		}
	})
	cfg, err := mysql.ParseDSN(s.admin)
	if err != nil {
		t.Fatalf("testmysql: %v", err)
	}
	cfg.DBName = name
	cfg.ParseTime = true
	cfg.MultiStatements = true
	t.Logf("testmysql: database %s on %s", name, s.source)
	return cfg.FormatDSN()
}

// Main runs m's tests, stops a throwaway server, and exits.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if found != nil && found.inst != nil {
		found.inst.stop()
		found = nil
		findErr = errors.New("the throwaway server was stopped by Main")
	}
	mu.Unlock()
	os.Exit(code)
}

func locate() (*server, error, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch env := os.Getenv(Env); env {
	case "":
	case EnvInstall:
		in, err := start(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", Env, EnvInstall, err), ""
		}
		return &server{admin: in.dsn, source: "throwaway server " + in.dir, inst: in}, nil, ""
	default:
		if err := execSQL(ctx, env, "SELECT 1"); err != nil {
			return nil, fmt.Errorf("%s is set but unusable: %w", Env, err), ""
		}
		return &server{admin: env, source: Env}, nil, ""
	}
	localErr := execSQL(ctx, localDSN, "SELECT 1")
	if localErr == nil {
		return &server{admin: localDSN, source: "127.0.0.1:3306"}, nil, ""
	}
	in, err := start(ctx)
	if err != nil {
		if errors.Is(err, errNoBinaries) {
			return nil, nil, fmt.Sprintf("127.0.0.1:3306: %v; %v", localErr, err)
		}
		return nil, err, ""
	}
	return &server{admin: in.dsn, source: "throwaway server " + in.dir, inst: in}, nil, ""
}

func execSQL(ctx context.Context, dsn, query string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, query)
	return err
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// dbName is "meerkat_" and the test's name, cut to MariaDB's 64
// characters, with a sequence number so subtests never collide.
func dbName(test string) string {
	n := unsafeChars.ReplaceAllString(strings.ToLower(test), "_")
	seq := fmt.Sprintf("_%d_%d", os.Getpid(), dbSeq.Add(1))
	if max := 64 - len("meerkat_") - len(seq); len(n) > max {
		n = n[:max]
	}
	return "meerkat_" + n + seq
}
