package auth

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
)

// TestSCRAMRateLimitedAtProof: a limited SCRAM attempt gets the same
// server-first-message as any other (real salt and count, or the fake
// ones of an unknown user) and fails at the proof, even with the right
// password; it is not counted as a failure.
func TestSCRAMRateLimitedAtProof(t *testing.T) {
	s, _ := newTestServer(t, Config{RateLimit: RateLimit{PerIP: 1, Window: time.Minute}})
	ci := ConnInfo{Host: testHost, RemoteIP: netip.MustParseAddr("192.0.2.1")}
	other := ConnInfo{Host: testHost, RemoteIP: netip.MustParseAddr("192.0.2.2")}
	salt := func(sf []byte) string {
		for _, attr := range strings.Split(string(sf), ",") {
			if len(attr) > 2 && attr[:2] == "s=" {
				return attr
			}
		}
		return ""
	}
	for _, user := range []string{"alice", "nobody"} {
		s.limit = newLimiter(RateLimit{PerIP: 1, Window: time.Minute}, s.log)
		cfg := scram.ClientConfig{Hash: scram.SHA256, Username: user, Password: "wrong"}
		if run := runSCRAM(t, s, ci, cfg, nil); run.stage != 2 || condition(run.err) != NotAuthorized {
			t.Fatalf("%s, first failure: stage %d, %v", user, run.stage, run.err)
		}
		want := runSCRAM(t, s, other, cfg, nil)
		cfg.Password = "wonderland"
		for i := range 2 {
			run := runSCRAM(t, s, ci, cfg, nil)
			if run.stage != 2 || condition(run.err) != NotAuthorized {
				t.Fatalf("%s, limited attempt %d: stage %d, %v; want not-authorized at the proof", user, i, run.stage, run.err)
			}
			if got := salt(run.serverFirst); got == "" || got != salt(want.serverFirst) {
				t.Errorf("%s, limited: salt %q, unlimited %q", user, got, salt(want.serverFirst))
			}
		}
		if e := s.limit.entries[ipKey(ci.RemoteIP)]; e == nil || e.failures != 1 {
			t.Errorf("%s: limited attempts were counted: %+v", user, e)
		}
	}
	third := ConnInfo{Host: testHost, RemoteIP: netip.MustParseAddr("192.0.2.3")}
	if run := runSCRAM(t, s, third, scram.ClientConfig{Hash: scram.SHA256, Username: "alice", Password: "wonderland"}, nil); run.stage != 3 {
		t.Errorf("alice from another address: %v", run.err)
	}
}

// TestAccountLimitOnTokenMechanisms: EXTERNAL and OAUTHBEARER apply the
// per-account limit once the account is known: failures naming it in the
// authzid (in any case) count, and a later valid credential for it is
// refused as a failure would be, from any address.
func TestAccountLimitOnTokenMechanisms(t *testing.T) {
	tls13, _ := fixtures(t)
	addr := func(i int) ConnInfo {
		ci := tls13.connInfo()
		ci.RemoteIP = netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
		return ci
	}
	cookie := func(ci ConnInfo, v string) ConnInfo {
		ci.Cookies = []*http.Cookie{{Name: "site", Value: v}}
		return ci
	}
	tests := []struct {
		name string
		mech string
		fail func(i int) (ConnInfo, string) // a failed attempt naming dave
		good func(user string) (ConnInfo, string)
	}{
		{"EXTERNAL", External,
			func(i int) (ConnInfo, string) {
				return cookie(addr(i), "tampered"), []string{"dave", "Dave@" + testHost}[i%2]
			},
			func(user string) (ConnInfo, string) { return cookie(addr(9), "ok-"+user), "" }},
		{"OAUTHBEARER", OAuthBearer,
			func(i int) (ConnInfo, string) {
				return addr(i), "n,a=" + []string{"dave", "DAVE"}[i%2] + ",\x01auth=Bearer bad\x01\x01"
			},
			func(user string) (ConnInfo, string) { return addr(9), "n,,\x01auth=Bearer good-" + user + "\x01\x01" }},
	}
	step := func(t *testing.T, s *Server, mech string, ci ConnInfo, msg string) (string, error) {
		t.Helper()
		ex, err := s.Start(mech, ci)
		if err != nil {
			t.Fatal(err)
		}
		out, done, err := ex.Step(context.Background(), []byte(msg))
		if err == nil && !done && string(out) == string(oauthErrorChallenge) {
			_, _, err = ex.Step(context.Background(), []byte{1})
		}
		return ex.Username(), err
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(Config{
				RateLimit: RateLimit{PerAccount: 2, Window: time.Minute},
				Hosts:     map[string]HostConfig{testHost: {Backends: []Backend{cookieBackend{}, tokenBackend{}}}},
			}, &memSource{})
			ci, msg := tc.good("dave")
			if user, err := step(t, s, tc.mech, ci, msg); user != "dave" || err != nil {
				t.Fatalf("before any failure: %q, %v", user, err)
			}
			for i := range 2 {
				ci, msg := tc.fail(i)
				if _, err := step(t, s, tc.mech, ci, msg); condition(err) != NotAuthorized {
					t.Fatalf("failure %d: %v", i, err)
				}
			}
			ci, msg = tc.good("dave")
			if user, err := step(t, s, tc.mech, ci, msg); condition(err) != NotAuthorized {
				t.Errorf("dave over the account limit: %q, %v; want not-authorized", user, err)
			}
			ci, msg = tc.good("erin")
			if user, err := step(t, s, tc.mech, ci, msg); user != "erin" || err != nil {
				t.Errorf("erin: %q, %v", user, err)
			}
		})
	}
}
