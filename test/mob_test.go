package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/mob"
	"github.com/meerkat-xmpp/meerkat/internal/selfsigned"
)

var (
	mobOnce sync.Once
	mobPath string
	mobErr  error
)

// mobBin builds cmd/mob once per test binary.
func mobBin(t *testing.T) string {
	t.Helper()
	mobOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mob-bin")
		if err != nil {
			mobErr = err
			return
		}
		mobPath = filepath.Join(dir, "mob")
		out, err := exec.Command("go", "build", "-o", mobPath, "../cmd/mob").CombinedOutput()
		if err != nil {
			mobErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if mobErr != nil {
		t.Fatal(mobErr)
	}
	return mobPath
}

func haveProsody() bool {
	_, err1 := exec.LookPath("prosody")
	_, err2 := exec.LookPath("prosodyctl")
	return err1 == nil && err2 == nil
}

// prosody is a running Debian prosody with its own folder and ports.
type prosody struct {
	config   string
	c2s, tls int
	http     int
	pid      int
	dir      string
}

// startProsody writes test/prosody/prosody.cfg.lua with fresh ports and a
// temporary folder, registers user1..userN with password through
// prosodyctl, and runs prosody in the foreground until the test ends.
func startProsody(t *testing.T, password string, users int) *prosody {
	t.Helper()
	p := &prosody{dir: t.TempDir(), c2s: freePort(t), tls: freePort(t), http: freePort(t)}
	tmpl, err := os.ReadFile("prosody/prosody.cfg.lua")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("{{DIR}}", p.dir, "{{C2S}}", strconv.Itoa(p.c2s),
		"{{C2S_TLS}}", strconv.Itoa(p.tls), "{{HTTP}}", strconv.Itoa(p.http)).Replace(string(tmpl))
	p.config = filepath.Join(p.dir, "prosody.cfg.lua")
	certPEM, keyPEM, err := selfsigned.Generate([]string{"localhost", "conference.localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{p.config: []byte(cfg), filepath.Join(p.dir, "cert.pem"): certPEM, filepath.Join(p.dir, "key.pem"): keyPEM} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= users; i++ {
		out, err := runWithTimeout(t, 30*time.Second, "prosodyctl", "--config", p.config, "register", fmt.Sprintf("user%d", i), "localhost", password)
		if err != nil {
			t.Fatalf("prosodyctl register: %v\n%s", err, out)
		}
	}
	var log bytes.Buffer
	cmd := exec.Command("prosody", "-F", "--config", p.config)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.pid = cmd.Process.Pid
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			plog, _ := os.ReadFile(filepath.Join(p.dir, "prosody.log"))
			t.Logf("prosody output:\n%s\nprosody.log:\n%s", log.String(), plog)
		}
	})
	waitPort(t, p.c2s)
	waitPort(t, p.tls)
	waitPort(t, p.http)
	return p
}

// runMob runs a mob scenario with --json and decodes the result.
func runMob(t *testing.T, args ...string) *mob.Result {
	t.Helper()
	out, err := runWithTimeout(t, 2*time.Minute, mobBin(t), append(args, "--json")...)
	if err != nil {
		t.Fatalf("mob %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	var res mob.Result
	if err := json.Unmarshal([]byte(out[strings.IndexByte(out, '{'):]), &res); err != nil {
		t.Fatalf("mob output: %v\n%s", err, out)
	}
	return &res
}

func ordered(s mob.Summary) bool {
	return s.MinMS <= s.P50 && s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.MaxMS && s.MaxMS > 0
}

// TestMobAgainstProsody runs mob's login, chat and muc scenarios against
// Debian's prosody 0.12 on loopback (SCRAM-SHA-1: prosody 0.12 stores no
// SHA-256 keys), over STARTTLS, direct TLS and WebSocket (RFC 7395), and
// checks that the counts add up: every login succeeds and every message
// is delivered. Accounts come from prosodyctl and from XEP-0077.
func TestMobAgainstProsody(t *testing.T) {
	need(t, "prosody (Debian package prosody)", haveProsody())
	const users = 20
	p := startProsody(t, "mob-password", users)
	common := []string{"--password", "mob-password", "--mech", "SCRAM-SHA-1", "--server-pid", strconv.Itoa(p.pid), "--timeout", "20s"}

	t.Run("login starttls", func(t *testing.T) {
		res := runMob(t, append([]string{"login", "--addr", fmt.Sprintf("127.0.0.1:%d", p.c2s), "--users", strconv.Itoa(users)}, common...)...)
		if res.Logins.OK != users || res.Errors != 0 || !ordered(res.Logins.Time) {
			t.Fatalf("logins %+v, errors %v", res.Logins, res.ErrorKinds)
		}
		if res.Server == nil || res.Server.Error != "" || res.Server.RSSAfterKiB <= 0 {
			t.Fatalf("server readings %+v", res.Server)
		}
	})
	t.Run("login direct tls", func(t *testing.T) {
		res := runMob(t, append([]string{"login", "--tls", "direct", "--addr", fmt.Sprintf("127.0.0.1:%d", p.tls), "--users", "5"}, common...)...)
		if res.Logins.OK != 5 || res.Errors != 0 {
			t.Fatalf("logins %+v, errors %v", res.Logins, res.ErrorKinds)
		}
	})
	t.Run("chat", func(t *testing.T) {
		res := runMob(t, append([]string{"chat", "--addr", fmt.Sprintf("127.0.0.1:%d", p.c2s), "--users", strconv.Itoa(users),
			"--rate", "200", "--duration", "2s", "--drain", "10s"}, common...)...)
		tr := res.Traffic
		if tr == nil || tr.Sent != 400 || tr.Expected != 400 || tr.Received+tr.Lost != tr.Sent || tr.Lost != 0 || res.Errors != 0 {
			t.Fatalf("traffic %+v, errors %v", tr, res.ErrorKinds)
		}
		if !ordered(tr.Latency) || res.Server.CPUPerDelivery <= 0 {
			t.Fatalf("latency %+v, server %+v", tr.Latency, res.Server)
		}
	})
	t.Run("muc", func(t *testing.T) {
		res := runMob(t, append([]string{"muc", "--addr", fmt.Sprintf("127.0.0.1:%d", p.c2s), "--rooms", "2", "--occupants", "5",
			"--room-rate", "5", "--duration", "2s", "--drain", "10s"}, common...)...)
		tr := res.Traffic
		// 2 rooms × 5 msg/s × 2 s = 20 messages, each delivered to the 5 occupants.
		if tr == nil || tr.Sent != 20 || tr.Expected != 100 || tr.Received != 100 || tr.Lost != 0 || res.Errors != 0 {
			t.Fatalf("traffic %+v, errors %v", tr, res.ErrorKinds)
		}
	})
	t.Run("muc with several rooms per session", func(t *testing.T) {
		res := runMob(t, append([]string{"muc", "--addr", fmt.Sprintf("127.0.0.1:%d", p.c2s), "--rooms", "4", "--occupants", "3",
			"--rooms-per-user", "2", "--room-prefix", "multi", "--room-rate", "5", "--duration", "2s", "--drain", "10s"}, common...)...)
		tr := res.Traffic
		// 12 occupant places held by 6 sessions; 4 rooms × 5 msg/s × 2 s =
		// 40 messages, each delivered to the room's 3 occupants.
		if res.Logins.OK != 6 || res.Params.Users != 6 || res.Params.RoomsPerUser != 2 {
			t.Fatalf("logins %+v, params %+v", res.Logins, res.Params)
		}
		if tr == nil || tr.Sent != 40 || tr.Expected != 120 || tr.Received != 120 || tr.Lost != 0 || res.Errors != 0 {
			t.Fatalf("traffic %+v, errors %v", tr, res.ErrorKinds)
		}
	})
	t.Run("websocket chat", func(t *testing.T) {
		res := runMob(t, append([]string{"chat", "--url", fmt.Sprintf("ws://127.0.0.1:%d/xmpp-websocket", p.http), "--users", "10",
			"--rate", "100", "--duration", "1s", "--drain", "10s"}, common...)...)
		tr := res.Traffic
		if res.Transport != "websocket" || res.Logins.OK != 10 || tr == nil || tr.Sent != 100 || tr.Received != 100 || res.Errors != 0 {
			t.Fatalf("transport %s, logins %+v, traffic %+v, errors %v", res.Transport, res.Logins, tr, res.ErrorKinds)
		}
	})
	t.Run("bosh chat", func(t *testing.T) {
		// mob's BOSH transport against prosody's mod_bosh, a server nobody here wrote.
		res := runMob(t, append([]string{"chat", "--url", fmt.Sprintf("http://127.0.0.1:%d/http-bind", p.http), "--users", "10",
			"--rate", "100", "--duration", "1s", "--drain", "10s"}, common...)...)
		tr := res.Traffic
		if res.Transport != "bosh" || res.Logins.OK != 10 || tr == nil || tr.Sent != 100 || tr.Received != 100 || res.Errors != 0 {
			t.Fatalf("transport %s, logins %+v, traffic %+v, errors %v", res.Transport, res.Logins, tr, res.ErrorKinds)
		}
	})
	t.Run("register", func(t *testing.T) {
		// XEP-0077 provisioning of new accounts, then a PLAIN login of them.
		res := runMob(t, append([]string{"login", "--addr", fmt.Sprintf("127.0.0.1:%d", p.c2s), "--users", "3", "--first", "100",
			"--provision", "register"}, common...)...)
		if res.Logins.OK != 3 || res.Errors != 0 {
			t.Fatalf("logins %+v, errors %v", res.Logins, res.ErrorKinds)
		}
	})
}
