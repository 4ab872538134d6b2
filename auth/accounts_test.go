package auth

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/internal/testpg"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/postgres"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// stores are the storage backends the account tests run on.
var stores = []struct {
	name string
	open func(t *testing.T) storage.Store
}{
	{"sqlite", func(t *testing.T) storage.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "m.db"), sqlite.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T) storage.Store {
		s, err := postgres.Open(t.Context(), testpg.DSN(t), postgres.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// TestExternalAccountsRecorded: a login through a backend outside storage
// leaves an account row with no keys, under the normalized localpart, and
// the internal backend accepts no password for it.
func TestExternalAccountsRecorded(t *testing.T) {
	tls13, _ := fixtures(t)
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store := st.open(t)
			ctx := t.Context()
			aliceCreds := credsFor(t, "wonderland")
			if err := store.CreateUser(ctx, testHost, "alice", aliceCreds); err != nil {
				t.Fatal(err)
			}
			wp := &pwBackend{name: "wp", users: map[string]string{
				`Carol\40Example`: "pw", "guest-aaaaaaaaaaaaaaaa": "pw", "alice": "wp-password",
			}}
			s := NewServer(Config{Accounts: store, Hosts: map[string]HostConfig{testHost: {
				Backends:  []Backend{Internal{Source: store}, wp, cookieBackend{}, tokenBackend{}},
				Anonymous: true,
			}}}, store)
			ci := tls13.connInfo()
			withCookie := ci
			withCookie.Cookies = []*http.Cookie{{Name: "site", Value: "ok-Dave"}}
			logins := []struct {
				name, mech string
				ci         ConnInfo
				msg        string
				account    string // "" the login fails
			}{
				{"PLAIN", Plain, ci, "\x00Carol\\40Example\x00pw", `carol\40example`},
				{"PLAIN again", Plain, ci, "\x00Carol\\40Example\x00pw", `carol\40example`},
				{"EXTERNAL", External, withCookie, "", "dave"},
				{"OAUTHBEARER", OAuthBearer, ci, "n,,\x01auth=Bearer good-Erin\x01\x01", "erin"},
				{"guest-shaped name on a host with guests", Plain, ci, "\x00guest-aaaaaaaaaaaaaaaa\x00pw", ""},
				// Internal accepts: the account is storage's own already,
				// and its keys must stay.
				{"internal account", Plain, ci, "\x00alice\x00wonderland", "alice"},
				// A backend after internal accepting an internal user's
				// name leaves the row and its keys alone.
				{"internal account through another backend", Plain, ci, "\x00alice\x00wp-password", "alice"},
			}
			for _, tc := range logins {
				ex, err := s.Start(tc.mech, tc.ci)
				if err != nil {
					t.Fatal(err)
				}
				_, done, err := ex.Step(ctx, []byte(tc.msg))
				if tc.account == "" {
					if done || condition(err) != NotAuthorized {
						t.Errorf("%s: done %v, %v; want not-authorized", tc.name, done, err)
					}
					continue
				}
				if !done || err != nil {
					t.Fatalf("%s: done %v, %v", tc.name, done, err)
				}
				if ok, err := store.UserExists(ctx, testHost, tc.account); !ok || err != nil {
					t.Errorf("%s: account %q exists %v, %v", tc.name, tc.account, ok, err)
				}
			}
			users, err := store.ListUsers(ctx, testHost)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"alice", `carol\40example`, "dave", "erin"}; !slices.Equal(users, want) {
				t.Errorf("accounts %q, want %q", users, want)
			}
			if c, _ := store.Credentials(ctx, testHost, "alice"); !VerifyPassword(c.SHA256, scram.SHA256, "wonderland") {
				t.Error("alice's keys changed")
			}

			// No password opens a recorded account through internal.
			internalOnly := NewServer(Config{FakeSaltSecret: []byte("x")}, store)
			for _, user := range []string{`carol\40example`, "dave", "erin"} {
				if c, err := store.Credentials(ctx, testHost, user); err != nil ||
					!c.SHA1.IsZero() || !c.SHA256.IsZero() || !c.SHA512.IsZero() {
					t.Errorf("%s: keys %+v, %v; want none", user, c, err)
				}
				for _, pw := range []string{"", "pw", " ", "wonderland"} {
					if got, err := (Internal{Source: store}).CheckPassword(ctx, ci, user, pw); !errors.Is(err, ErrUnknownUser) {
						t.Errorf("internal PLAIN %s/%q: %q, %v", user, pw, got, err)
					}
					if pw == "" {
						continue // PLAIN cannot carry it
					}
					if got, err := plainStep(t, internalOnly, ci, "\x00"+user+"\x00"+pw); condition(err) != NotAuthorized {
						t.Errorf("PLAIN %s/%q on an internal host: %q, %v", user, pw, got, err)
					}
				}
				for _, hash := range []string{scram.SHA1, scram.SHA256, scram.SHA512} {
					run := runSCRAM(t, internalOnly, ci, scram.ClientConfig{Hash: hash, Username: user, Password: "pw"}, nil)
					if run.stage != 2 || condition(run.err) != NotAuthorized {
						t.Errorf("SCRAM-%s %s: stage %d, %v", hash, user, run.stage, run.err)
					}
				}
			}
		})
	}
}

// failingUsers is a storage.Users whose every call fails.
type failingUsers struct{ storage.Users }

var errStorageDown = errors.New("storage down")

func (failingUsers) UserExists(context.Context, string, string) (bool, error) {
	return false, errStorageDown
}

// TestExternalAccountStorageDown: a login whose account cannot be recorded
// fails as temporary, with the cause for the log.
func TestExternalAccountStorageDown(t *testing.T) {
	tls13, _ := fixtures(t)
	wp := &pwBackend{name: "wp", users: map[string]string{"carol": "pw"}}
	s := NewServer(Config{Accounts: failingUsers{}, Hosts: map[string]HostConfig{testHost: {Backends: []Backend{wp}}}}, &memSource{})
	_, err := plainStep(t, s, tls13.connInfo(), "\x00carol\x00pw")
	if f := asFailure(t, err); f.Condition != TemporaryAuthFailure || !errors.Is(f.Cause, errStorageDown) {
		t.Fatalf("got %+v", f)
	}
}

func TestIsGuest(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"guest-abcdefghijklmnop", true},
		{"guest-234567abcdefghij", true},
		{"guest-", false},
		{"guest-bob", false},
		{"guest-abcdefghijklmno", false},   // 15
		{"guest-abcdefghijklmnopq", false}, // 17
		{"guest-ABCDEFGHIJKLMNOP", false},
		{"guest-abcdefghijklmno1", false}, // 1 is not base32
		{"Guest-abcdefghijklmnop", false},
		{"alice", false},
	}
	for _, tc := range tests {
		if got := IsGuest(tc.name); got != tc.want {
			t.Errorf("IsGuest(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestRemoveStaleGuests: guests' accounts and their data go, on hosts
// that have guests; everything else stays.
func TestRemoveStaleGuests(t *testing.T) {
	const guests, plain = "guests.example", "plain.example"
	const stale, stale2 = "guest-aaaaaaaaaaaaaaaa", "guest-bbbbbbbbbbbbbbbb"
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store := st.open(t)
			ctx := t.Context()
			keys := credsFor(t, "secret")
			accounts := []struct {
				host, user string
				keys       bool
				kept       bool
			}{
				{guests, stale, false, false},
				{guests, stale2, false, false},
				{guests, "guest-cccccccccccccccc", true, true}, // an operator's, with a password
				{guests, "guest-bob", false, true},             // not a guest's shape
				{guests, "alice", true, true},
				{guests, "wpuser", false, true}, // recorded for an external backend
				{plain, "guest-dddddddddddddddd", false, true},
			}
			for _, a := range accounts {
				var c storage.Credentials
				if a.keys {
					c = keys
				}
				if err := store.CreateUser(ctx, a.host, a.user, c); err != nil {
					t.Fatal(err)
				}
			}
			msg := storage.OfflineMessage{Stamp: time.Now(), From: "x@plain.example", Stanza: []byte("<message/>")}
			if err := store.StoreOffline(ctx, guests, stale, msg, 0); err != nil {
				t.Fatal(err)
			}
			s := NewServer(Config{Accounts: store, Hosts: map[string]HostConfig{
				guests: {Anonymous: true}, plain: {Backends: []Backend{Internal{Source: store}}},
			}}, store)
			n, err := s.RemoveStaleGuests(ctx)
			if err != nil || n != 2 {
				t.Fatalf("RemoveStaleGuests = %d, %v; want 2", n, err)
			}
			for _, a := range accounts {
				if ok, err := store.UserExists(ctx, a.host, a.user); err != nil || ok != a.kept {
					t.Errorf("%s@%s exists %v, %v; want %v", a.user, a.host, ok, err, a.kept)
				}
			}
			// Its data went with it: the name starts empty if handed out again.
			if err := store.CreateUser(ctx, guests, stale, storage.Credentials{}); err != nil {
				t.Fatal(err)
			}
			if c, err := store.CountOffline(ctx, guests, stale); c != 0 || err != nil {
				t.Errorf("offline messages of a removed guest: %d, %v", c, err)
			}
			if n, err := s.RemoveStaleGuests(ctx); n != 1 || err != nil {
				t.Errorf("second sweep: %d, %v; want 1", n, err)
			}
			if n, err := NewServer(Config{}, store).RemoveStaleGuests(ctx); n != 0 || err != nil {
				t.Errorf("without Accounts: %d, %v", n, err)
			}
		})
	}
}
