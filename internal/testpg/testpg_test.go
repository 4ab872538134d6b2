package testpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestDSN(t *testing.T) {
	conn := connect(t, DSN(t))
	var one int
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var tables int
	err := conn.QueryRow(t.Context(), `SELECT count(*) FROM information_schema.tables
		WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&tables)
	if err != nil || tables != 0 {
		t.Fatalf("fresh database has %d tables (%v)", tables, err)
	}
}

func TestEnvForcesThrowawayCluster(t *testing.T) {
	if os.Getenv(Env) != EnvInitdb {
		t.Skipf("set %s=%s to run every test of this binary on a throwaway cluster", Env, EnvInitdb)
	}
	DSN(t)
	if found == nil || found.cluster == nil {
		t.Fatalf("%s=%s but the server came from %v", Env, EnvInitdb, found)
	}
}

func TestDatabasesAreSeparateAndDropped(t *testing.T) {
	var names [2]string
	for i := range names {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			conn := connect(t, DSN(t))
			if _, err := conn.Exec(t.Context(), "CREATE TABLE only_here (x int)"); err != nil {
				t.Fatalf("CREATE TABLE in a fresh database: %v", err) // fails if the other's table were visible
			}
			if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&names[i]); err != nil {
				t.Fatal(err)
			}
		})
	}
	if names[0] == names[1] || names[0] == "" {
		t.Fatalf("databases %q and %q", names[0], names[1])
	}
	admin := connect(t, found.admin)
	for _, n := range names {
		var exists bool
		if err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", n).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			t.Errorf("database %s still exists after its test", n)
		}
	}
}

func TestDroppedDespiteOpenConnection(t *testing.T) {
	var name string
	t.Run("leaky", func(t *testing.T) {
		conn, err := pgx.Connect(t.Context(), DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn // never closed, on purpose
		if err := conn.QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
	})
	admin := connect(t, found.admin)
	var exists bool
	if err := admin.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		t.Fatalf("database %s exists = %v (%v)", name, exists, err)
	}
}

// TestThrowawayCluster starts a cluster of its own, whatever the rest of
// the binary uses, so the initdb path is proved on every machine that has
// the binaries.
func TestThrowawayCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, err := findBinDir(); err != nil {
		t.Skipf("cannot test the throwaway cluster: %v", err)
	}
	c, err := startCluster(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			c.stop()
		}
	})
	if !strings.HasPrefix(filepath.Base(c.dir), dirPrefix) {
		t.Errorf("folder %s lacks the %s prefix that stale removal looks for", c.dir, dirPrefix)
	}
	conn := connect(t, c.dsn)
	var one int
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	if os.Geteuid() == 0 {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(st), "\nUid:\t0\t") {
			t.Errorf("server runs as root")
		}
	}
	conn.Close(t.Context())

	pid := c.cmd.Process.Pid
	if err := c.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	stopped = true
	if running(pid) {
		t.Errorf("server pid %d still running after stop", pid)
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder %s still there after stop", c.dir)
	}
}

// TestClusterDiesWithBinary starts a cluster in a child test binary that
// exits without Main: the server must go away on its own, and the next
// removeStale must delete its folder.
func TestClusterDiesWithBinary(t *testing.T) {
	if os.Getenv("TESTPG_CHILD") == "1" {
		c, err := startCluster(context.Background())
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(c.cmd.Process.Pid, c.dir)
		os.Exit(0) // no stop, no Main: as if the binary crashed
	}
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, err := findBinDir(); err != nil {
		t.Skipf("cannot test the throwaway cluster: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestClusterDiesWithBinary$")
	cmd.Env = append(os.Environ(), "TESTPG_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var (
		pid int
		dir string
	)
	if _, err := fmt.Sscan(string(out), &pid, &dir); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	deadline := time.Now().Add(30 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGQUIT)
			t.Fatalf("server %d outlived its test binary by 30s", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The server's own children may take a moment longer to leave
	// postmaster.pid behind; removeStale only looks at the pid inside.
	removeStale()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale folder %s not removed (%v)", dir, err)
	}
}

func TestRemoveStale(t *testing.T) {
	dead := mkStale(t, "2147483646") // above pid_max: never a live process
	live := mkStale(t, strconv.Itoa(os.Getpid()))
	young := mkStale(t, "")
	removeStale()
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder of a dead binary kept")
	}
	for _, d := range []string{live, young} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("folder %s removed: %v", d, err)
		}
	}
}

func mkStale(t *testing.T, pid string) string {
	d, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if pid != "" {
		if err := os.WriteFile(filepath.Join(d, "owner.pid"), []byte(pid), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// recorder is a testing.TB whose Fatalf and Skipf only record, so that
// usable's verdicts can be checked.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatalf(f string, args ...any) { r.fatal = fmt.Sprintf(f, args...) }
func (r *recorder) Skipf(f string, args ...any)  { r.skip = fmt.Sprintf(f, args...) }

func TestUsable(t *testing.T) {
	tests := []struct {
		name      string
		ci        string
		s         *server
		err       error
		wantOK    bool
		wantFatal bool
		wantSkip  bool
	}{
		{"found", "", &server{}, nil, true, false, false},
		{"found on CI", "true", &server{}, nil, true, false, false},
		{"none", "", nil, nil, false, false, true},
		{"none on CI", "true", nil, nil, false, true, false},
		{"none, CI not true", "false", nil, nil, false, false, true},
		{"broken", "", nil, errors.New("bad DSN"), false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			ok := usable(r, tc.s, tc.err, "nothing here")
			if ok != tc.wantOK || (r.fatal != "") != tc.wantFatal || (r.skip != "") != tc.wantSkip {
				t.Fatalf("usable = %v, fatal %q, skip %q", ok, r.fatal, r.skip)
			}
			if msg := r.fatal + r.skip; !tc.wantOK && tc.err == nil && !strings.Contains(msg, "nothing here") {
				t.Errorf("message %q does not say why", msg)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u@h:5432/postgres?sslmode=disable", "postgres://u@h:5432/db1?sslmode=disable"},
		{"postgresql://u:p@h/", "postgresql://u:p@h/db1"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=db1"},
	}
	for _, tc := range tests {
		got, err := withDatabase(tc.in, "db1")
		if err != nil || got != tc.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		cfg, err := pgx.ParseConfig(got)
		if err != nil || cfg.Database != "db1" {
			t.Errorf("withDatabase(%q) parses to database %q (%v)", tc.in, cfg.Database, err)
		}
	}
}

func TestDBName(t *testing.T) {
	a := dbName("TestX/Sub Test-1")
	b := dbName(strings.Repeat("VeryLong", 20))
	for _, n := range []string{a, b} {
		if len(n) > 63 {
			t.Errorf("%q is longer than 63 bytes", n)
		}
		if strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			t.Errorf("%q has characters that need quoting", n)
		}
	}
	if a == dbName("TestX/Sub Test-1") {
		t.Error("two calls gave the same name")
	}
}
