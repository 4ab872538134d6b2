package testpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dirPrefix names the folders of throwaway clusters under os.TempDir, so
// that leftovers of dead test binaries can be found and removed.
const dirPrefix = "meerkat-testpg-"

// cluster is a PostgreSQL server this test binary started. It runs the
// postgres binary itself, as a child, rather than through pg_ctl, which
// detaches the server: a child can be tied to this process's life.
type cluster struct {
	dir    string // holds data/, the socket, the log and owner.pid
	dsn    string // superuser postgres on the maintenance database
	cmd    *exec.Cmd
	exited chan struct{} // closed when the server process has exited
	err    error         // its exit status, valid after exited
}

// findBinDir returns the folder holding initdb and postgres: initdb's on
// the PATH (through symlinks such as Debian's /usr/local/bin ones), else
// the newest /usr/lib/postgresql/<version>/bin.
func findBinDir() (string, error) {
	var dirs []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(matches, func(a, b string) int { return version(b) - version(a) })
	dirs = append(dirs, matches...)
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no initdb and postgres on the PATH or under /usr/lib/postgresql/*/bin")
}

// version reads N from /usr/lib/postgresql/N/bin.
func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// startCluster creates and starts a throwaway cluster and waits until it
// accepts connections.
func startCluster(ctx context.Context) (*cluster, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	removeStale()

	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		// The server user must own the folder: it writes data/ and the
		// socket there. os.MkdirTemp made it 0700 for us.
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()

	// --no-locale: C.UTF-8 and friends are not on every machine; tests that
	// care about collation get ICU databases from createDB.
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	initdb.Stdout, initdb.Stderr = logf, logf
	initdb.Env = cleanEnv()
	initdb.Dir = dir // the server user may not be able to enter our working folder
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := initdb.Run(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, tail(logPath))
	}

	// The port is free when asked but may be taken before postgres binds
	// it; a few tries make that race harmless.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		err = c.run(ctx, bin, port, cred, logf)
		if err == nil {
			break
		}
		if attempt == 2 || !strings.Contains(tail(logPath), "could not bind") {
			return nil, fmt.Errorf("postgres: %w\n%s", err, tail(logPath))
		}
	}
	ok = true
	return c, nil
}

// run starts the server on port and waits for it to accept connections.
func (c *cluster) run(ctx context.Context, bin string, port int, cred *syscall.Credential, logf *os.File) error {
	c.cmd = exec.Command(filepath.Join(bin, "postgres"),
		"-D", filepath.Join(c.dir, "data"),
		"-p", strconv.Itoa(port),
		"-h", "127.0.0.1",
		"-k", c.dir,
		"-F", // no fsync: the data dies with the tests anyway
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.Env = cleanEnv()
	c.cmd.Dir = c.dir
	c.cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// If this binary dies without Main stopping the server, the
		// kernel asks postgres for an immediate shutdown.
		Pdeathsig: syscall.SIGQUIT,
		Setpgid:   true, // a ^C to `go test` reaches us, not the server
	}
	c.exited = make(chan struct{})
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child ends, not
		// the process. Go may retire an idle thread, but never one a
		// goroutine is locked to, and this goroutine stays here, in Wait,
		// for as long as the server runs.
		runtime.LockOSThread()
		if err := c.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return err
	}

	c.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := checkAdmin(ctx, c.dsn)
		if err == nil {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("server exited: %v", c.err)
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.kill()
			return fmt.Errorf("server not ready: %w", err)
		}
		select {
		case <-c.exited:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop asks for a fast shutdown (SIGINT, which ends open sessions rather
// than waiting for them), waits for it, and removes the folder.
func (c *cluster) stop() error {
	var err error
	if c.cmd != nil && c.cmd.Process != nil {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			c.kill()
			err = errors.New("throwaway cluster did not stop in 30s; killed it")
		}
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}

// kill ends the server at once (SIGQUIT is postgres's immediate shutdown,
// which also ends its children) and waits for it.
func (c *cluster) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// serverCredential says whom initdb and postgres run as: nil (ourselves)
// unless we are root, which both refuse.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, which initdb refuses, and there is no postgres or nobody user to run it as")
}

// cleanEnv drops the PG* variables, which would point initdb or postgres
// elsewhere than the flags say.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the end of the server log, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(bytes.TrimSpace(b))
}

// removeStale deletes the folders of throwaway clusters whose test binary
// is gone and whose server is gone too (Pdeathsig stopped it, but nobody
// was left to remove the folder).
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		if alive(filepath.Join(d, "owner.pid")) || alive(filepath.Join(d, "data", "postmaster.pid")) {
			continue
		}
		os.RemoveAll(d)
	}
}

// alive reports whether the pid on the first line of file is a running
// process. A folder without the file is young (being set up) or not ours,
// so that counts as alive too.
func alive(file string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || filepath.Base(file) == "owner.pid"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return true
	}
	return running(pid)
}

// running reports whether pid is a process that has not exited. A zombie
// (exited, not yet reaped, as happens under a container's init) has.
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// The state follows the command name, which is in parentheses and may
	// itself contain them.
	if i := bytes.LastIndexByte(st, ')'); i >= 0 && i+2 < len(st) {
		return st[i+2] != 'Z'
	}
	return true
}
