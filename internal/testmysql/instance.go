package testmysql

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

var errNoBinaries = errors.New("no mariadb-install-db and mariadbd on the PATH or in /usr/sbin, /usr/bin")

// instance is a mariadbd this test binary started as its child.
type instance struct {
	dir    string
	dsn    string
	cmd    *exec.Cmd
	exited chan struct{}
}

func lookup(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func start(ctx context.Context) (*instance, error) {
	install, daemon := lookup("mariadb-install-db"), lookup("mariadbd")
	if install == "" || daemon == "" {
		return nil, errNoBinaries
	}
	dir, err := os.MkdirTemp("", "meerkat-testmysql-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	sock := filepath.Join(dir, "mysqld.sock")
	logPath := filepath.Join(dir, "mariadbd.log")
	var asUser []string
	if os.Geteuid() == 0 {
		asUser = []string{"--user=root"}
	}
	args := append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal",
		"--skip-test-db"}, asUser...)
	if out, err := exec.CommandContext(ctx, install, args...).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(daemon, append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--pid-file=" + filepath.Join(dir, "mariadbd.pid"),
		"--innodb-flush-log-at-trx-commit=0", "--skip-log-bin", "--innodb-buffer-pool-size=32M"}, asUser...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	in := &instance{dir: dir, dsn: "root@unix(" + sock + ")/?timeout=3s", cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(in.exited) }()
	for {
		if err := exec2(ctx, in.dsn); err == nil {
			return in, nil
		}
		select {
		case <-in.exited:
			b, _ := os.ReadFile(logPath)
			os.RemoveAll(dir)
			return nil, fmt.Errorf("mariadbd exited: %s", tail(b))
		case <-ctx.Done():
			in.stop()
			return nil, fmt.Errorf("mariadbd did not answer in time: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func exec2(ctx context.Context, dsn string) error { return execSQL(ctx, dsn, "SELECT 1") }

func (in *instance) stop() {
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(20 * time.Second):
		in.cmd.Process.Kill()
		<-in.exited
	}
	os.RemoveAll(in.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
