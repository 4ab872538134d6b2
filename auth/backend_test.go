package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// pwBackend is a PasswordChecker over a map, standing for WordPress, HTTP
// or JWT; err, when set, is a server-side fault.
type pwBackend struct {
	name  string
	users map[string]string
	err   error
	calls int
}

func (b *pwBackend) Name() string { return b.name }

func (b *pwBackend) CheckPassword(_ context.Context, _ ConnInfo, user, secret string) (string, error) {
	b.calls++
	if b.err != nil {
		return "", b.err
	}
	p, ok := b.users[user]
	switch {
	case !ok:
		return "", ErrUnknownUser
	case p != secret:
		return "", ErrBadCredentials
	}
	return user, nil
}

// cookieBackend is an ExternalChecker accepting the cookie "site=<user>".
type cookieBackend struct{}

func (cookieBackend) Name() string { return "cookie" }

func (cookieBackend) HasExternal(ci ConnInfo) bool {
	return slices.ContainsFunc(ci.Cookies, func(c *http.Cookie) bool { return c.Name == "site" })
}

func (cookieBackend) CheckExternal(_ context.Context, ci ConnInfo, _ string) (string, error) {
	for _, c := range ci.Cookies {
		if c.Name == "site" && strings.HasPrefix(c.Value, "ok-") {
			return strings.TrimPrefix(c.Value, "ok-"), nil
		}
	}
	return "", ErrBadCredentials
}

func plainStep(t *testing.T, s *Server, ci ConnInfo, msg string) (string, error) {
	t.Helper()
	ex, err := s.Start(Plain, ci)
	if err != nil {
		return "", err
	}
	_, done, err := ex.Step(context.Background(), []byte(msg))
	if err == nil && !done {
		t.Fatal("PLAIN not done after one step")
	}
	return ex.Username(), err
}

func condition(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Condition
	}
	if err == nil {
		return ""
	}
	return "?" + err.Error()
}

func TestBackendsMechanisms(t *testing.T) {
	tls13, _ := fixtures(t)
	src := &memSource{}
	src.add(testHost, "alice", credsFor(t, "wonderland"))
	wp := &pwBackend{name: "wp", users: map[string]string{"carol": "c"}}
	tests := []struct {
		name string
		hc   HostConfig
		ci   ConnInfo
		want []string
	}{
		{"internal over TLS", HostConfig{Backends: []Backend{Internal{src}}}, tls13.connInfo(),
			[]string{SCRAMSHA512Plus, SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA512, SCRAMSHA256, SCRAMSHA1, Plain}},
		{"password-only over TLS", HostConfig{Backends: []Backend{wp}}, tls13.connInfo(), []string{Plain}},
		{"password-only without TLS", HostConfig{Backends: []Backend{wp}}, ConnInfo{Host: testHost}, []string{}},
		{"anonymous and external", HostConfig{Backends: []Backend{wp, cookieBackend{}}, Anonymous: true},
			ConnInfo{Host: testHost, Cookies: []*http.Cookie{{Name: "site", Value: "ok-dave"}}}, []string{External, Anonymous}},
		{"external without its cookie", HostConfig{Backends: []Backend{cookieBackend{}}}, ConnInfo{Host: testHost}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(Config{Hosts: map[string]HostConfig{testHost: tc.hc}}, src)
			if got := s.Mechanisms(tc.ci); !slices.Equal(got, tc.want) {
				t.Errorf("Mechanisms = %v, want %v", got, tc.want)
			}
			// What is not offered cannot be started.
			for _, m := range []string{SCRAMSHA256, Plain, Anonymous, External} {
				_, err := s.Start(m, tc.ci)
				if offered := slices.Contains(tc.want, m); offered != (err == nil) {
					if m == Plain && condition(err) == EncryptionRequired {
						continue
					}
					t.Errorf("Start(%s): %v, offered %v", m, err, offered)
				}
			}
		})
	}
}

func TestBackendsOrder(t *testing.T) {
	tls13, _ := fixtures(t)
	src := &memSource{}
	src.add(testHost, "alice", credsFor(t, "wonderland"))
	first := &pwBackend{name: "first", users: map[string]string{"bob": "one"}}
	second := &pwBackend{name: "second", users: map[string]string{"bob": "two", "carol": "c"}}
	down := &pwBackend{name: "down", err: errors.New("connection refused")}
	s := NewServer(Config{Hosts: map[string]HostConfig{
		testHost:       {Backends: []Backend{Internal{src}, first, second}},
		"down.example": {Backends: []Backend{down, second}},
	}}, src)
	ci := tls13.connInfo()
	tests := []struct {
		msg, user, cond string
	}{
		{"\x00alice\x00wonderland", "alice", ""},
		{"\x00alice\x00wrong", "", NotAuthorized},
		{"\x00bob\x00one", "bob", ""},
		{"\x00bob\x00two", "bob", ""}, // the first says wrong password, the second accepts
		{"\x00bob\x00three", "", NotAuthorized},
		{"\x00carol\x00c", "carol", ""},
		{"\x00nobody\x00x", "", NotAuthorized},
	}
	for _, tc := range tests {
		user, err := plainStep(t, s, ci, tc.msg)
		if user != tc.user || condition(err) != tc.cond {
			t.Errorf("%q: %q, %v; want %q, %q", tc.msg, user, err, tc.user, tc.cond)
		}
	}
	// A backend that is down makes an otherwise failed login temporary,
	// and does not stop the next backend from accepting.
	dci := ci
	dci.Host = "down.example"
	if user, err := plainStep(t, s, dci, "\x00carol\x00c"); user != "carol" || err != nil {
		t.Errorf("carol with one backend down: %q, %v", user, err)
	}
	_, err := plainStep(t, s, dci, "\x00carol\x00wrong")
	if condition(err) != TemporaryAuthFailure {
		t.Errorf("wrong password with a backend down: %v, want temporary-auth-failure", err)
	}
	var f *Failure
	if errors.As(err, &f) && (f.Text != "" || f.Cause == nil) {
		t.Errorf("failure %+v: the cause must be logged, not sent", f)
	}
}

func TestRateLimit(t *testing.T) {
	tls13, _ := fixtures(t)
	var logs bytes.Buffer
	s, _ := newTestServer(t, Config{
		RateLimit: RateLimit{PerIP: 3, PerAccount: 5, Window: time.Minute},
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	})
	now := time.Unix(1800000000, 0)
	s.limit.now = func() time.Time { return now }
	ci := tls13.connInfo()
	ci.RemoteIP = netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if _, err := plainStep(t, s, ci, "\x00alice\x00wrong"); condition(err) != NotAuthorized {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Over the limit: even the right password fails, with the same
	// condition, and the log says why.
	if _, err := plainStep(t, s, ci, "\x00alice\x00wonderland"); condition(err) != NotAuthorized {
		t.Fatalf("over the IP limit: %v", err)
	}
	if !strings.Contains(logs.String(), "authentication rate limited") || !strings.Contains(logs.String(), "192.0.2.1") {
		t.Errorf("log: %s", logs.String())
	}
	// Another address may still log in; SCRAM is limited too.
	other := ci
	other.RemoteIP = netip.MustParseAddr("192.0.2.2")
	if user, err := plainStep(t, s, other, "\x00alice\x00wonderland"); user != "alice" || err != nil {
		t.Fatalf("other address: %v", err)
	}
	// Per account: two more failures from a third address reach 5.
	third := ci
	third.RemoteIP = netip.MustParseAddr("192.0.2.3")
	plainStep(t, s, other, "\x00alice\x00wrong")
	plainStep(t, s, third, "\x00alice\x00wrong")
	if _, err := plainStep(t, s, third, "\x00alice\x00wonderland"); condition(err) != NotAuthorized {
		t.Fatalf("over the account limit: %v", err)
	}
	if _, err := plainStep(t, s, third, "\x00bob\x00builder"); err != nil {
		t.Fatalf("bob from the same address: %v", err)
	}
	// The window ends.
	now = now.Add(61 * time.Second)
	if user, err := plainStep(t, s, ci, "\x00alice\x00wonderland"); user != "alice" || err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// memAccounts records the accounts anonymous logins create and delete.
type memAccounts struct {
	storage.Users
	created, deleted []string
}

func (m *memAccounts) CreateUser(_ context.Context, host, user string, _ storage.Credentials) error {
	m.created = append(m.created, user)
	return nil
}

func (m *memAccounts) DeleteUser(_ context.Context, host, user string) error {
	m.deleted = append(m.deleted, user)
	return nil
}

func TestAnonymous(t *testing.T) {
	acc := &memAccounts{}
	s := NewServer(Config{Accounts: acc, Hosts: map[string]HostConfig{testHost: {Anonymous: true}, "other.example": {}}}, &memSource{})
	ci := ConnInfo{Host: testHost}
	seen := map[string]bool{}
	for _, resp := range [][]byte{nil, []byte("trace@example.com"), {}} {
		ex, err := s.Start(Anonymous, ci)
		if err != nil {
			t.Fatal(err)
		}
		out, done, err := ex.Step(context.Background(), resp)
		if resp == nil {
			if done || err != nil || len(out) != 0 {
				t.Fatalf("no initial response: %q %v %v", out, done, err)
			}
			_, done, err = ex.Step(context.Background(), []byte{})
		}
		if !done || err != nil {
			t.Fatalf("done %v, %v", done, err)
		}
		u := ex.Username()
		if !IsGuest(u) || len(u) != len(anonPrefix)+16 || seen[u] {
			t.Fatalf("username %q", u)
		}
		seen[u] = true
		if err := s.EndAnonymous(context.Background(), testHost, u); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(acc.created, acc.deleted) || len(acc.created) != 3 {
		t.Errorf("created %v, deleted %v", acc.created, acc.deleted)
	}
	ex, _ := s.Start(Anonymous, ci)
	if _, _, err := ex.Step(context.Background(), bytes.Repeat([]byte("x"), 256)); condition(err) != MalformedRequest {
		t.Errorf("long trace: %v", err)
	}
	if _, err := s.Start(Anonymous, ConnInfo{Host: "other.example"}); condition(err) != InvalidMechanism {
		t.Errorf("ANONYMOUS on a host without it: %v", err)
	}
}

func TestExternal(t *testing.T) {
	s := NewServer(Config{Hosts: map[string]HostConfig{testHost: {Backends: []Backend{cookieBackend{}}}}}, &memSource{})
	with := func(v string) ConnInfo {
		return ConnInfo{Host: testHost, Cookies: []*http.Cookie{{Name: "site", Value: v}}}
	}
	tests := []struct {
		ci         ConnInfo
		resp       string
		user, cond string
	}{
		{with("ok-dave"), "", "dave", ""},
		{with("ok-dave"), "dave@" + testHost, "dave", ""},
		{with("ok-dave"), "erin", "", InvalidAuthzid},
		{with("tampered"), "", "", NotAuthorized},
	}
	for _, tc := range tests {
		ex, err := s.Start(External, tc.ci)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ex.Step(context.Background(), []byte(tc.resp))
		if ex.Username() != tc.user || condition(err) != tc.cond {
			t.Errorf("%v %q: %q %v", tc.ci.Cookies[0].Value, tc.resp, ex.Username(), err)
		}
	}
}
