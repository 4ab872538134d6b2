package mob_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/mob"
	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/muc"
	"github.com/meerkat-xmpp/meerkat/modules/presence"
	"github.com/meerkat-xmpp/meerkat/modules/roster"
)

const users = 20

// start runs an in-process Meerkat with users user0..user19 (the store is
// provisioned directly) and the roster and presence modules.
func start(t *testing.T) *servertest.Server {
	t.Helper()
	var names []string
	for i := range users {
		names = append(names, fmt.Sprintf("user%d", i))
	}
	return servertest.Start(t, servertest.Options{Users: names, Modules: func(t testing.TB) []module.Module {
		r, err := roster.New(roster.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		p, err := presence.New(presence.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return []module.Module{r, p}
	}})
}

func config(t *testing.T, addr, mech string) *mob.Config {
	t.Helper()
	host := addr[:strings.LastIndexByte(addr, ':')]
	if err := mob.CheckTarget(context.Background(), nil, host, false); err != nil {
		t.Fatal(err)
	}
	return &mob.Config{
		Transport: &mob.TCP{Addr: addr, Mode: mob.TLSStartTLS, TLS: &tls.Config{InsecureSkipVerify: true, ServerName: servertest.Host}, Timeout: 10 * time.Second},
		Target:    addr, TLS: mob.TLSStartTLS, Domain: servertest.Host, Mech: mech,
		UserPrefix: "user", Password: servertest.Password, Resource: "mob",
		Ramp: 500, Concurrency: 8, Timeout: 10 * time.Second, ServerPID: os.Getpid(),
	}
}

func checkOrdered(t *testing.T, what string, s mob.Summary) {
	t.Helper()
	if !(s.MinMS <= s.P50 && s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.MaxMS) || s.MaxMS <= 0 {
		t.Errorf("%s percentiles out of order: %+v", what, s)
	}
}

func TestLoginScenario(t *testing.T) {
	srv := start(t)
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"} {
		t.Run(mech, func(t *testing.T) {
			res, err := mob.Login(context.Background(), config(t, srv.Addr, mech), mob.LoginOptions{Users: users})
			if err != nil {
				t.Fatal(err)
			}
			if res.Logins.OK != users || res.Logins.Failed != 0 || res.Errors != 0 {
				t.Fatalf("logins %+v, errors %v", res.Logins, res.ErrorKinds)
			}
			if res.Logins.PerSecond <= 0 || res.Logins.Time.Count != users {
				t.Fatalf("logins %+v", res.Logins)
			}
			checkOrdered(t, "login", res.Logins.Time)
		})
	}
}

func TestLoginWrongPasswordCounted(t *testing.T) {
	srv := start(t)
	cfg := config(t, srv.Addr, "SCRAM-SHA-256")
	cfg.Password = "wrong password"
	res, err := mob.Login(context.Background(), cfg, mob.LoginOptions{Users: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Logins.OK != 0 || res.Logins.Failed != 3 || res.Errors != 3 {
		t.Fatalf("logins %+v, errors %v", res.Logins, res.ErrorKinds)
	}
	for k := range res.ErrorKinds {
		if !strings.Contains(k, "auth") {
			t.Errorf("error kind %q", k)
		}
	}
}

func TestIdleScenario(t *testing.T) {
	srv := start(t)
	res, err := mob.Idle(context.Background(), config(t, srv.Addr, "SCRAM-SHA-256"),
		mob.IdleOptions{Users: users, Settle: 50 * time.Millisecond, Hold: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Logins.OK != users || res.Errors != 0 {
		t.Fatalf("logins %+v, errors %v", res.Logins, res.ErrorKinds)
	}
	if s := res.Server; s == nil || s.Error != "" || s.RSSAfterKiB <= 0 || s.Procs < 1 {
		t.Fatalf("server readings %+v", res.Server)
	}
}

func TestChatScenario(t *testing.T) {
	srv := start(t)
	pct0 := debug.SetGCPercent(-1)
	debug.SetGCPercent(pct0)
	res, err := mob.Chat(context.Background(), config(t, srv.Addr, "SCRAM-SHA-256"), mob.ChatOptions{
		Users: users, Rate: 200, Duration: 2 * time.Second, Drain: 5 * time.Second, Body: 64, Presence: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Traffic
	if tr == nil {
		t.Fatal("no traffic section")
	}
	var b strings.Builder
	res.WriteTable(&b)
	t.Logf("\n%s", b.String())
	if tr.Sent != 400 || tr.Expected != tr.Sent {
		t.Errorf("sent %d, expected %d; want 400 each", tr.Sent, tr.Expected)
	}
	if tr.Received+tr.Lost != tr.Sent || tr.Extra != 0 {
		t.Errorf("sent %d ≠ received %d + lost %d (extra %d)", tr.Sent, tr.Received, tr.Lost, tr.Extra)
	}
	if tr.Lost != 0 || res.Errors != 0 {
		t.Errorf("lost %d on loopback, errors %v", tr.Lost, res.ErrorKinds)
	}
	checkOrdered(t, "delivery", tr.Latency)
	if res.Server == nil || res.Server.CPUPerDelivery <= 0 {
		t.Errorf("server cpu %+v", res.Server)
	}
	if !res.Mob.GCHeld || res.Mob.GCInTraffic != 0 || !strings.Contains(b.String(), "held off during traffic") {
		t.Errorf("mob's collector: held %v, %d collections in the traffic; want held, none", res.Mob.GCHeld, res.Mob.GCInTraffic)
	}
	if pct := debug.SetGCPercent(pct0); pct != pct0 {
		t.Errorf("GOGC after the run = %d, want %d put back", pct, pct0)
	}
}

// TestChatScenarioTrafficGC: with --traffic-gc the collector is left alone
// and collections in the window are counted.
func TestChatScenarioTrafficGC(t *testing.T) {
	srv := start(t)
	cfg := config(t, srv.Addr, "SCRAM-SHA-256")
	cfg.TrafficGC = true
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // garbage, so a collection falls in the window
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.KeepAlive(make([]byte, 1<<20))
			}
		}
	}()
	res, err := mob.Chat(context.Background(), cfg, mob.ChatOptions{
		Users: users, Rate: 100, Duration: time.Second, Drain: 5 * time.Second, Body: 64, Presence: true,
	})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if res.Mob.GCHeld || res.Mob.GCInTraffic == 0 {
		t.Errorf("mob's collector: held %v, %d collections in the traffic; want running, some", res.Mob.GCHeld, res.Mob.GCInTraffic)
	}
}

func TestRefusesRemoteTarget(t *testing.T) {
	for _, host := range []string{"192.0.2.10", "example.invalid"} {
		err := mob.CheckTarget(context.Background(), nil, host, false)
		if err == nil {
			t.Errorf("%s accepted", host)
		}
	}
}

// TestMUCScenario runs the muc scenario against in-process Meerkat's MUC
// service: the first occupant of each room creates it and unlocks it as an
// instant room, everyone joins, and every groupchat message reaches every
// occupant (the sender's echo included) with nothing lost or extra.
func TestMUCScenario(t *testing.T) {
	var names []string
	for i := range users {
		names = append(names, fmt.Sprintf("user%d", i))
	}
	srv := servertest.Start(t, servertest.Options{Users: names, Modules: func(t testing.TB) []module.Module {
		m, err := muc.New(muc.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return []module.Module{m}
	}})
	const rooms, occupants = 4, 5
	res, err := mob.MUC(context.Background(), config(t, srv.Addr, "SCRAM-SHA-256"), mob.MUCOptions{
		Rooms: rooms, Occupants: occupants, RatePerRoom: 20, Duration: 2 * time.Second, Drain: 5 * time.Second,
		Service: "conference." + servertest.Host, RoomPrefix: "mob", Body: 64,
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	res.WriteTable(&b)
	t.Logf("\n%s", b.String())
	tr := res.Traffic
	if tr == nil {
		t.Fatal("no traffic section")
	}
	if res.Logins.OK != rooms*occupants || res.Errors != 0 {
		t.Fatalf("logins %+v, errors %v", res.Logins, res.ErrorKinds)
	}
	// 20 msg/s per room × 4 rooms × 2 s, each delivered to 5 occupants.
	if tr.Sent != 160 || tr.Expected != tr.Sent*occupants {
		t.Errorf("sent %d, expected %d; want 160 and 800", tr.Sent, tr.Expected)
	}
	if tr.Received+tr.Lost != tr.Expected || tr.Extra != 0 {
		t.Errorf("expected %d ≠ received %d + lost %d (extra %d)", tr.Expected, tr.Received, tr.Lost, tr.Extra)
	}
	if tr.Lost != 0 {
		t.Errorf("lost %d on loopback", tr.Lost)
	}
	checkOrdered(t, "delivery", tr.Latency)
}
