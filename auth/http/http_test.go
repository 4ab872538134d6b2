package httpauth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
	httpauth "github.com/meerkat-xmpp/meerkat/auth/http"
)

// service is a MongooseIM-style auth service over a map, behind basic auth.
type service struct {
	mu     sync.Mutex
	users  map[string]string // user@server -> password
	checks atomic.Int64
	delay  time.Duration
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "meerkat" || p != "s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	r.ParseForm()
	key := r.Form.Get("user") + "@" + r.Form.Get("server")
	s.mu.Lock()
	defer s.mu.Unlock()
	pass, exists := s.users[key]
	switch r.URL.Path {
	case "/auth/check_password":
		s.checks.Add(1)
		if exists && pass == r.Form.Get("pass") {
			w.Write([]byte("true"))
		} else {
			w.Write([]byte("false"))
		}
	case "/auth/user_exists":
		if exists {
			w.Write([]byte("true"))
		} else {
			w.Write([]byte("false"))
		}
	case "/auth/set_password":
		if r.Method != http.MethodPost || !exists {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		s.users[key] = r.PostForm.Get("pass")
		w.WriteHeader(http.StatusNoContent)
	case "/auth/register":
		if exists {
			w.WriteHeader(http.StatusConflict)
			return
		}
		s.users[key] = r.PostForm.Get("pass")
		w.WriteHeader(http.StatusCreated)
	case "/auth/remove_user":
		if !exists {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		delete(s.users, key)
		w.WriteHeader(http.StatusNoContent)
	default: // no get_password: optional
		w.WriteHeader(http.StatusNotFound)
	}
}

func start(t *testing.T, delay time.Duration, cfg httpauth.Config) (*httpauth.Backend, *service) {
	t.Helper()
	svc := &service{users: map[string]string{"alice@example.com": "wonderland"}, delay: delay}
	ts := httptest.NewServer(svc)
	t.Cleanup(ts.Close)
	cfg.BaseURL = ts.URL + "/auth"
	if cfg.BasicAuth == "" {
		cfg.BasicAuth = "meerkat:s3cret"
	}
	b, err := httpauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, svc
}

var ci = auth.ConnInfo{Host: "example.com"}

func TestContract(t *testing.T) {
	b, _ := start(t, 0, httpauth.Config{})
	ctx := context.Background()
	if u, err := b.CheckPassword(ctx, ci, "alice", "wonderland"); err != nil || u != "alice" {
		t.Fatalf("check_password: %q, %v", u, err)
	}
	for _, tc := range []struct{ user, pass string }{{"alice", "wrong"}, {"nobody", "wonderland"}} {
		if _, err := b.CheckPassword(ctx, ci, tc.user, tc.pass); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("check_password %s/%s: %v", tc.user, tc.pass, err)
		}
	}
	if ok, err := b.UserExists(ctx, "example.com", "alice"); !ok || err != nil {
		t.Errorf("user_exists alice: %v %v", ok, err)
	}
	if ok, err := b.UserExists(ctx, "example.com", "bob"); ok || err != nil {
		t.Errorf("user_exists bob: %v %v", ok, err)
	}
	if err := b.Register(ctx, "example.com", "bob", "builder"); err != nil {
		t.Fatal(err)
	}
	if err := b.Register(ctx, "example.com", "bob", "x"); !errors.Is(err, httpauth.ErrExists) {
		t.Errorf("second register: %v", err)
	}
	if err := b.SetPassword(ctx, "example.com", "bob", "b2"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckPassword(ctx, ci, "bob", "b2"); err != nil {
		t.Errorf("after set_password: %v", err)
	}
	if _, err := b.GetPassword(ctx, "example.com", "bob"); !errors.Is(err, httpauth.ErrNotSupported) {
		t.Errorf("get_password: %v", err)
	}
	if err := b.RemoveUser(ctx, "example.com", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := b.SetPassword(ctx, "example.com", "bob", "x"); !errors.Is(err, auth.ErrUnknownUser) {
		t.Errorf("set_password after remove: %v", err)
	}
}

// TestOptionalMethods: a service with only check_password and
// user_exists still logs users in; the optional methods it leaves out
// (answered 405 or 501) report ErrNotSupported, not a server fault.
func TestOptionalMethods(t *testing.T) {
	for _, status := range []int{http.StatusMethodNotAllowed, http.StatusNotImplemented} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/auth/check_password", "/auth/user_exists":
				w.Write([]byte("true"))
			default:
				w.WriteHeader(status)
			}
		}))
		defer ts.Close()
		b, err := httpauth.New(httpauth.Config{BaseURL: ts.URL + "/auth"})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx := context.Background()
		if _, err := b.CheckPassword(ctx, ci, "alice", "wonderland"); err != nil {
			t.Fatalf("%d: check_password: %v", status, err)
		}
		for name, call := range map[string]func() error{
			"get_password": func() error { _, err := b.GetPassword(ctx, "example.com", "alice"); return err },
			"set_password": func() error { return b.SetPassword(ctx, "example.com", "alice", "x") },
			"register":     func() error { return b.Register(ctx, "example.com", "bob", "x") },
			"remove_user":  func() error { return b.RemoveUser(ctx, "example.com", "alice") },
		} {
			if err := call(); !errors.Is(err, httpauth.ErrNotSupported) {
				t.Errorf("%d: %s: %v, want ErrNotSupported", status, name, err)
			}
		}
	}
}

func TestWrongBasicAuthIsAServerFault(t *testing.T) {
	b, _ := start(t, 0, httpauth.Config{BasicAuth: "meerkat:wrong"})
	_, err := b.CheckPassword(context.Background(), ci, "alice", "wonderland")
	if err == nil || errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("err = %v, want a server-side error", err)
	}
}

func TestCache(t *testing.T) {
	now := time.Unix(1800000000, 0)
	b, svc := start(t, 0, httpauth.Config{CacheTTL: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	for range 3 {
		if _, err := b.CheckPassword(ctx, ci, "alice", "wonderland"); err != nil {
			t.Fatal(err)
		}
	}
	if n := svc.checks.Load(); n != 1 {
		t.Errorf("%d calls with the cache, want 1", n)
	}
	// A wrong password is never answered from the cache.
	if _, err := b.CheckPassword(ctx, ci, "alice", "wrong"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	// Changing the password through Meerkat takes effect at once.
	if err := b.SetPassword(ctx, "example.com", "alice", "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CheckPassword(ctx, ci, "alice", "wonderland"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("old password after set_password: %v", err)
	}
	now = now.Add(2 * time.Minute)
	before := svc.checks.Load()
	b.CheckPassword(ctx, ci, "alice", "new")
	b.CheckPassword(ctx, ci, "alice", "new")
	if n := svc.checks.Load() - before; n != 1 {
		t.Errorf("%d calls after expiry, want 1", n)
	}
}

// TestSlowAndDown: the login fails within the timeout with a server-side
// error (temporary-auth-failure at the SASL layer), never hangs.
func TestSlowAndDown(t *testing.T) {
	slow, _ := start(t, 10*time.Second, httpauth.Config{Timeout: 300 * time.Millisecond})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	down, err := httpauth.New(httpauth.Config{BaseURL: "http://" + addr + "/auth", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*httpauth.Backend{"slow": slow, "down": down} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := b.CheckPassword(context.Background(), ci, "alice", "wonderland")
			if err == nil || errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrUnknownUser) {
				t.Fatalf("err = %v, want a server-side error", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v with a 300ms timeout", d)
			}
			// Through the SASL server: temporary-auth-failure.
			srv := auth.NewServer(auth.Config{Hosts: map[string]auth.HostConfig{"example.com": {Backends: []auth.Backend{b}}}}, nil)
			ex, err := srv.Start(auth.Plain, tlsConnInfo())
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = ex.Step(context.Background(), []byte("\x00alice\x00wonderland"))
			var f *auth.Failure
			if !errors.As(err, &f) || f.Condition != auth.TemporaryAuthFailure {
				t.Fatalf("SASL: %v, want temporary-auth-failure", err)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []httpauth.Config{{BaseURL: "ftp://x"}, {BaseURL: "http://"}, {BaseURL: "http://x", BasicAuth: "nocolon"}} {
		if _, err := httpauth.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}
