package test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// meerkatBin builds cmd/meerkat once per test binary.
func meerkatBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "meerkat-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "meerkat")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/meerkat").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// need fails (under CI=true) or skips when a prerequisite is missing.
func need(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing: .ci/run must install it", what)
	}
	t.Skipf("%s is missing (CI=true makes this a failure)", what)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is a running meerkat process.
type server struct {
	bin, config string
	c2s, tls    int
	http        int
	log         *syncBuffer
	cmd         *exec.Cmd
	exited      bool // a test already waited for the process
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMeerkat writes a config with fresh ports and data folder, adds the
// users (all with password), and runs `meerkat serve` until the test ends.
func startMeerkat(t *testing.T, password string, users ...string) *server {
	t.Helper()
	return startMeerkatWith(t, "", password, users...)
}

// startMeerkatWith is startMeerkat with extra TOML appended to the config
// (for example a [storage] section).
func startMeerkatWith(t *testing.T, extra, password string, users ...string) *server {
	t.Helper()
	return startMeerkatHTTP(t, "", extra, password, users...)
}

// startMeerkatHTTP is startMeerkatWith with extra keys for [listen.http]
// (such as demo_page = true).
func startMeerkatHTTP(t *testing.T, httpKeys, extra, password string, users ...string) *server {
	t.Helper()
	s := &server{bin: meerkatBin(t), c2s: freePort(t), tls: freePort(t), http: freePort(t), log: new(syncBuffer)}
	dir := t.TempDir()
	s.config = filepath.Join(dir, "meerkat.toml")
	cfg := fmt.Sprintf(`[general]
hosts = ["localhost"]
data_dir = %q

[[listen.c2s]]
address = "127.0.0.1:%d"
mode = "starttls"

[[listen.c2s]]
address = "127.0.0.1:%d"
mode = "direct"

[listen.http]
address = "127.0.0.1:%d"
%s
[log]
level = "debug"
`, filepath.Join(dir, "data"), s.c2s, s.tls, s.http, httpKeys) + extra
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		s.run(t, password+"\n", "user", "add", "-config", s.config, u)
	}
	s.cmd = exec.Command(s.bin, "serve", "-config", s.config)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.exited {
			return
		}
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- s.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("meerkat log:\n%s", s.log.String())
		}
	})
	waitPort(t, s.c2s)
	return s
}

// run runs a meerkat subcommand and returns its stdout.
func (s *server) run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("meerkat %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func waitPort(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline: the process is starting
	}
	t.Fatalf("port %d did not open", port)
}

func runWithTimeout(t *testing.T, d time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}
