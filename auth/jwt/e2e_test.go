package jwt_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/auth/jwt"
	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/offline"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestJWTUserExistsAfterLogin: a user of the jwt backend has no account
// in storage until the first login, which records one (with no keys).
// From then on a message to the user while offline is stored by the
// offline module instead of bouncing, and the internal backend, also
// configured, accepts no password for that account.
func TestJWTUserExistsAfterLogin(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	b, err := jwt.New(jwt.Config{Algorithm: jwt.HS256, Secret: key})
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, servertest.Options{
		Users: []string{"alice"},
		Modules: func(t testing.TB) []module.Module {
			m, err := offline.New(offline.Config{MaxMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			return []module.Module{m}
		},
		Auth: func(db storage.Store) auth.Config {
			return auth.Config{Accounts: db, Hosts: map[string]auth.HostConfig{
				servertest.Host: {Backends: []auth.Backend{auth.Internal{Source: db}, b}},
			}}
		},
	})
	a := srv.Login(t, "alice", "")

	// Before dave's first login nobody knows him: the message bounces.
	a.Send("<message id='m0' to='dave@localhost' type='chat'><body>hello?</body></message>")
	if el := a.Expect(servertest.ID("m0")); servertest.ErrorCondition(el) != "service-unavailable" {
		t.Fatalf("message to an unknown user: %s", el)
	}

	// The token names "Dave": the account is the bound, normalized JID.
	token, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256,
		gojwt.MapClaims{"sub": "Dave", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	d := xmpptest.Dial(t, srv.Addr, xmpptest.Options{User: "Dave", Password: token, Mech: "PLAIN"})
	if !strings.HasPrefix(d.JID, "dave@localhost/") {
		t.Fatalf("bound %q", d.JID)
	}
	d.Close()
	bare := jid.MustParse("dave@localhost")
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Router.Resources(bare)) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("dave's session did not end")
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline for the session's close
	}

	// Offline now: the message is stored, not bounced. A ping after it
	// gets its answer only once the message was handled.
	a.Send("<message id='m1' to='dave@localhost' type='chat'><body>hello</body></message>")
	servertest.Sync(t, a, "sync1")
	n, err := srv.Store.CountOffline(t.Context(), servertest.Host, "dave")
	if err != nil || n != 1 {
		t.Fatalf("stored offline for dave: %d, %v; want 1", n, err)
	}

	// The recorded account holds no keys: internal SCRAM and PLAIN refuse
	// it whatever the password, the token included.
	for _, tc := range []struct{ mech, password string }{
		{"SCRAM-SHA-256", "anything"},
		{"SCRAM-SHA-1", token},
		{"PLAIN", "anything"},
	} {
		_, err := xmpptest.Connect(t, srv.Addr, xmpptest.Options{User: "dave", Password: tc.password, Mech: tc.mech})
		var ae *xmpptest.AuthError
		if !errors.As(err, &ae) || ae.Condition != "not-authorized" {
			t.Errorf("%s as dave with %.10q: %v, want not-authorized", tc.mech, tc.password, err)
		}
	}

	// The token still works, and dave gets the message.
	d = xmpptest.Dial(t, srv.Addr, xmpptest.Options{User: "dave", Password: token, Mech: "PLAIN"})
	d.Send("<presence/>")
	if el := d.Expect(func(el *stream.Element) bool { return el.Local == "message" }); !strings.Contains(el.String(), "hello") {
		t.Errorf("dave got %s", el)
	}
}
