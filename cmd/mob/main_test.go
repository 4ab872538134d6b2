package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/mob"
	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

func runMob(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "scenarios:"},
		{[]string{"help"}, 0, "seed-muc-many"},
		{[]string{"nope"}, 2, `unknown scenario "nope"`},
		{[]string{"chat", "--tls", "sometimes"}, 2, "tls mode"},
		{[]string{"chat", "--mech", "DIGEST-MD5"}, 2, "--mech"},
		{[]string{"login", "--users", "1", "extra"}, 2, "unexpected argument"},
		{[]string{"login", "--provision", "magic"}, 2, "--provision"},
		{[]string{"chat", "--url", "ftp://127.0.0.1/x"}, 2, "--url"},
	} {
		code, _, stderr := runMob(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("mob %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

func TestRefusesRemoteTargets(t *testing.T) {
	for _, args := range [][]string{
		{"login", "--addr", "192.0.2.1:5222"},
		{"chat", "--addr", "[2001:db8::1]:5222"},
		{"idle", "--url", "ws://192.0.2.1:5280/xmpp-websocket"},
		{"idle", "--url", "http://192.0.2.1:5280/http-bind"},
	} {
		code, stdout, stderr := runMob(args...)
		if code != 1 || !strings.Contains(stderr, "not on loopback") || stdout != "" {
			t.Errorf("mob %v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestSeedPresetsScale(t *testing.T) {
	for _, tc := range []struct {
		name                string
		preset              func(float64) mob.MUCOptions
		scale               float64
		rooms, occ          int
		rate                float64
		deliveriesPerSecond float64
	}{
		{"big", mob.SeedMUCBig, 1, 1, 3000, 10, 30000},
		{"big tenth", mob.SeedMUCBig, 0.1, 1, 300, 10, 3000},
		{"many", mob.SeedMUCMany, 1, 2000, 25, 0.6, 30000},
		{"many tenth", mob.SeedMUCMany, 0.1, 200, 25, 0.6, 3000},
	} {
		o := tc.preset(tc.scale)
		d := float64(o.Rooms*o.Occupants) * o.RatePerRoom
		if o.Rooms != tc.rooms || o.Occupants != tc.occ || o.RatePerRoom != tc.rate || d != tc.deliveriesPerSecond {
			t.Errorf("%s: %+v (%v deliveries/s)", tc.name, o, d)
		}
	}
}

// TestChatJSON runs the binary's chat scenario against an in-process
// Meerkat and reads the --json result.
func TestChatJSON(t *testing.T) {
	var users []string
	for i := 1; i <= 6; i++ {
		users = append(users, fmt.Sprintf("user%d", i))
	}
	srv := servertest.Start(t, servertest.Options{Users: users})
	code, stdout, stderr := runMob("chat", "--addr", srv.Addr, "--password", servertest.Password,
		"--users", "6", "--rate", "100", "--duration", "1s", "--presence=false", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res mob.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if res.Logins.OK != 6 || res.Traffic == nil || res.Traffic.Sent != 100 || res.Traffic.Received != 100 || res.Errors != 0 {
		t.Fatalf("%+v %+v %v", res.Logins, res.Traffic, res.ErrorKinds)
	}
}
