package register_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/register"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*register.Config)
		ok   bool
	}{
		{"default", func(*register.Config) {}, true},
		{"no minimum", func(c *register.Config) { c.MinPasswordLength = 0 }, true},
		{"negative minimum", func(c *register.Config) { c.MinPasswordLength = -1 }, false},
		{"huge minimum", func(c *register.Config) { c.MinPasswordLength = 5000 }, false},
		{"iterations", func(c *register.Config) { c.SCRAMIterations = 10000 }, true},
		{"too few iterations", func(c *register.Config) { c.SCRAMIterations = 100 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := register.DefaultConfig()
			tc.edit(&cfg)
			if err := cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if _, err := register.New(cfg); (err == nil) != tc.ok {
				t.Fatalf("New() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func start(t *testing.T, cfg register.Config, more ...module.Module) *servertest.Server {
	t.Helper()
	m, err := register.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartModules(t, append([]module.Module{m}, more...)...)
}

// preAuth opens a stream, runs STARTTLS and stops before SASL.
func preAuth(t *testing.T, srv *servertest.Server) *xmpptest.Client {
	t.Helper()
	c, err := xmpptest.Connect(t, srv.Addr, xmpptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	if err := c.StartTLS(); err != nil {
		t.Fatal(err)
	}
	return c
}

func registerIQ(id, user, pass string) string {
	return "<iq type='set' id='" + id + "'><query xmlns='jabber:iq:register'><username>" + user +
		"</username><password>" + pass + "</password></query></iq>"
}

// noPassword fails if an error reply echoes the password sent.
func noPassword(t *testing.T, el *stream.Element, pass string) {
	t.Helper()
	if s := el.String(); strings.Contains(s, "<password") || (pass != "" && strings.Contains(s, pass)) {
		t.Fatalf("error reply echoes the request: %s", el)
	}
}

func TestRegisterBeforeAuth(t *testing.T) {
	srv := start(t, register.DefaultConfig())
	if f := srv.Disco.Features(router.TargetServer); len(f) != 1 || f[0] != register.NS {
		t.Fatalf("features %v", f)
	}
	c := preAuth(t, srv)
	if c.Features.Child(register.NSFeature, "register") == nil {
		t.Fatalf("no register stream feature in %s", c.Features)
	}
	form := servertest.CheckResult(t, servertest.Exchange(c, "f1", "<iq type='get' id='f1'><query xmlns='jabber:iq:register'/></iq>"))
	for _, name := range []string{"instructions", "username", "password"} {
		if form.Child(register.NS, name) == nil {
			t.Fatalf("form lacks <%s/>: %s", name, form)
		}
	}
	tests := []struct{ name, user, pass, cond string }{
		{"taken", "alice", "long enough password", "conflict"},
		{"taken after case mapping", "ALICE", "long enough password", "conflict"},
		{"bad username", "a@b", "long enough password", "not-acceptable"},
		{"empty username", "", "long enough password", "not-acceptable"},
		{"empty password", "dave", "", "not-acceptable"},
		{"short password", "dave", "short", "not-acceptable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			el := servertest.Exchange(c, "r0", registerIQ("r0", tc.user, tc.pass))
			servertest.CheckError(t, el, tc.cond)
			noPassword(t, el, tc.pass)
		})
	}
	servertest.CheckError(t, servertest.Exchange(c, "r1", "<iq type='set' id='r1'><query xmlns='jabber:iq:register'><remove/></query></iq>"), "unexpected-request")
	servertest.CheckResult(t, servertest.Exchange(c, "r2", registerIQ("r2", "Dave", "a fine new password")))
	// The same stream goes on to authenticate as the new account.
	if err := c.Auth("SCRAM-SHA-256", "dave", "a fine new password"); err != nil {
		t.Fatalf("auth after registration: %v", err)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_register_accounts_created_total", nil); got != 1 {
		t.Fatalf("accounts_created_total = %v", got)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_register_refused_total", map[string]string{"reason": "conflict"}); got != 2 {
		t.Fatalf("refused conflict = %v", got)
	}
	d := xmpptest.Dial(t, srv.Addr, xmpptest.Options{User: "dave", Password: "a fine new password", Mech: "PLAIN"})
	if !strings.HasPrefix(d.JID, "dave@localhost/") {
		t.Fatalf("bound %q", d.JID)
	}
}

func TestRegistrationDisabled(t *testing.T) {
	cfg := register.DefaultConfig()
	cfg.AllowRegistration = false
	srv := start(t, cfg)
	c := preAuth(t, srv)
	if c.Features.Child(register.NSFeature, "register") != nil {
		t.Fatal("register feature offered while registration is off")
	}
	servertest.CheckError(t, servertest.Exchange(c, "f1", "<iq type='get' id='f1'><query xmlns='jabber:iq:register'/></iq>"), "not-allowed")
	el := servertest.Exchange(c, "r1", registerIQ("r1", "dave", "a fine new password"))
	servertest.CheckError(t, el, "not-allowed")
	noPassword(t, el, "a fine new password")
	// Logged-in users still change their password.
	a := srv.Login(t, "alice", "")
	servertest.CheckResult(t, servertest.Exchange(a, "p1", "<iq type='set' id='p1' to='localhost'><query xmlns='jabber:iq:register'><username>alice</username><password>another password</password></query></iq>"))
}

func TestChangePassword(t *testing.T) {
	srv := start(t, register.DefaultConfig())
	a := srv.Login(t, "alice", "")
	got := servertest.CheckResult(t, servertest.Exchange(a, "g1", "<iq type='get' id='g1' to='localhost'><query xmlns='jabber:iq:register'/></iq>"))
	if got.Child(register.NS, "registered") == nil || got.ChildText(register.NS, "username") != "alice" {
		t.Fatalf("registration info: %s", got)
	}
	change := func(id, user, pass string) *stream.Element {
		return servertest.Exchange(a, id, "<iq type='set' id='"+id+"' to='localhost'><query xmlns='jabber:iq:register'><username>"+
			user+"</username><password>"+pass+"</password></query></iq>")
	}
	for _, tc := range []struct{ name, user, pass, cond string }{
		{"someone else", "bob", "a new password", "forbidden"},
		{"no username", "", "a new password", "bad-request"},
		{"empty password", "alice", "", "bad-request"},
		{"short password", "alice", "short", "not-acceptable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			el := change("c0", tc.user, tc.pass)
			servertest.CheckError(t, el, tc.cond)
			noPassword(t, el, tc.pass)
		})
	}
	// bob's password did not change.
	srv.Login(t, "bob", "")
	servertest.CheckResult(t, change("c1", "Alice", "a new password"))
	_, err := xmpptest.Connect(t, srv.Addr, xmpptest.Options{User: "alice", Password: servertest.Password, Mech: "SCRAM-SHA-256"})
	var ae *xmpptest.AuthError
	if !errors.As(err, &ae) || ae.Condition != "not-authorized" {
		t.Fatalf("old password: %v, want not-authorized", err)
	}
	xmpptest.Dial(t, srv.Addr, xmpptest.Options{User: "alice", Password: "a new password", Mech: "SCRAM-SHA-512"})
	if got := servertest.Counter(t, srv.Registry, "meerkat_register_password_changes_total", nil); got != 1 {
		t.Fatalf("password_changes_total = %v", got)
	}
}

// removals is a module that records UserRemoved events.
type removals struct {
	mu     sync.Mutex
	events []router.UserEvent
}

func (r *removals) Name() string { return "removals" }
func (r *removals) Start(_ context.Context, h *module.Host) error {
	module.OnEvent(h, &h.Hooks().UserRemoved, 0, func(_ context.Context, ev *router.UserEvent) {
		r.mu.Lock()
		r.events = append(r.events, *ev)
		r.mu.Unlock()
	})
	return nil
}
func (r *removals) Stop(context.Context) error { return nil }

func TestRemoveAccount(t *testing.T) {
	rec := &removals{}
	srv := start(t, register.DefaultConfig(), rec)
	ctx := context.Background()
	st := srv.Store
	// Something of every kind is stored for alice.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.StoreOffline(ctx, "localhost", "alice", storage.OfflineMessage{Stamp: time.Now(), From: "bob@localhost",
		Stanza: []byte("<message><body>x</body></message>")}, 0))
	must(st.Block(ctx, "localhost", "alice", []string{"carol@localhost"}))
	must(st.SetLastActivity(ctx, "localhost", "alice", time.Now(), "away"))
	_, err := st.SetRosterItem(ctx, "localhost", "alice", storage.RosterItem{JID: "bob@localhost", Subscription: storage.SubBoth})
	must(err)
	must(st.SetVCard(ctx, "localhost", "alice", []byte("<vCard xmlns='vcard-temp'/>")))
	must(st.SetPrivateXML(ctx, "localhost", "alice", "storage:bookmarks", []byte("<storage xmlns='storage:bookmarks'/>")))

	desk := srv.Login(t, "alice", "desk")
	phone := srv.Login(t, "alice", "phone")
	bob := srv.Login(t, "bob", "")
	// Only the owner can remove an account.
	servertest.CheckError(t, servertest.Exchange(bob, "x1", "<iq type='set' id='x1' to='alice@localhost'><query xmlns='jabber:iq:register'><remove/></query></iq>"), "forbidden")
	servertest.CheckError(t, servertest.Exchange(desk, "x2", "<iq type='set' id='x2'><query xmlns='jabber:iq:register'><remove/><username>alice</username></query></iq>"), "bad-request")

	// XEP-0077 §3.2: no 'to'; the result arrives, then the stream error.
	desk.Send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>")
	el, err := desk.NextElement()
	if err != nil || el.Attr("id") != "rm" || el.Attr("type") != "result" {
		t.Fatalf("got %v, %v; want the result", el, err)
	}
	_, err = desk.NextElement()
	var se *xmpptest.StreamError
	if !errors.As(err, &se) || se.Condition != "not-authorized" {
		t.Fatalf("after the result: %v, want a not-authorized stream error", err)
	}
	phone.ExpectStreamError("not-authorized")

	_, err = xmpptest.Connect(t, srv.Addr, xmpptest.Options{User: "alice", Password: servertest.Password, Mech: "SCRAM-SHA-256"})
	var ae *xmpptest.AuthError
	if !errors.As(err, &ae) || ae.Condition != "not-authorized" {
		t.Fatalf("login after removal: %v, want not-authorized", err)
	}
	rec.mu.Lock()
	events := rec.events
	rec.mu.Unlock()
	if len(events) != 1 || events[0] != (router.UserEvent{Host: "localhost", Username: "alice"}) {
		t.Fatalf("UserRemoved events %v", events)
	}
	// Everything is gone.
	if ok, err := st.UserExists(ctx, "localhost", "alice"); ok || err != nil {
		t.Fatalf("user exists: %v, %v", ok, err)
	}
	if n, err := st.CountOffline(ctx, "localhost", "alice"); n != 0 || err != nil {
		t.Fatalf("offline: %d, %v", n, err)
	}
	if l, err := st.Blocklist(ctx, "localhost", "alice"); len(l) != 0 || err != nil {
		t.Fatalf("blocklist: %v, %v", l, err)
	}
	if _, _, err := st.LastActivity(ctx, "localhost", "alice"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("last activity: %v", err)
	}
	if items, ver, err := st.RosterItems(ctx, "localhost", "alice"); len(items) != 0 || ver != "" || err != nil {
		t.Fatalf("roster: %v %q %v", items, ver, err)
	}
	if _, err := st.VCard(ctx, "localhost", "alice"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("vcard: %v", err)
	}
	if _, err := st.PrivateXML(ctx, "localhost", "alice", "storage:bookmarks"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("private: %v", err)
	}
	if got := servertest.Counter(t, srv.Registry, "meerkat_register_accounts_removed_total", nil); got != 1 {
		t.Fatalf("accounts_removed_total = %v", got)
	}
	// bob is unaffected.
	servertest.CheckResult(t, servertest.Exchange(bob, "g", "<iq type='get' id='g' to='localhost'><query xmlns='jabber:iq:register'/></iq>"))
}
