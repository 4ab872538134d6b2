package auth

import (
	"context"
	"net/http"
	"testing"
)

func TestAuthorized(t *testing.T) {
	tests := []struct {
		name, authzid, user, host string
		want                      bool
	}{
		{"empty", "", "alice", "example.com", true},
		{"bare username", "alice", "alice", "example.com", true},
		{"bare JID", "alice@example.com", "alice", "example.com", true},
		{"domain case", "alice@EXAMPLE.com", "alice", "example.com", true},
		{"localpart case", "Alice@example.com", "alice", "example.com", true},
		{"username case", "alice@example.com", "Alice", "example.com", true},
		{"bare localpart case", "ALICE", "alice", "example.com", true},
		{"escaped WordPress login", `carol\40example@example.com`, `Carol\40Example`, "example.com", true},
		{"escaped login, bare", `carol\40example`, `Carol\40Example`, "example.com", true},
		{"escaped login, exact", `Carol\40Example@example.com`, `Carol\40Example`, "example.com", true},
		{"other user", "bob@example.com", "alice", "example.com", false},
		{"other user, case", "Bob", "alice", "example.com", false},
		{"other host", "alice@example.net", "alice", "example.com", false},
		{"full JID", "alice@example.com/phone", "alice", "example.com", false},
		{"resource only", "alice/phone", "alice", "example.com", false},
		{"domain only", "example.com", "alice", "example.com", false},
		{"unescaped at", "carol@example@example.com", `carol\40example`, "example.com", false},
		{"invalid localpart", "al\x00ice", "alice", "example.com", false},
		{"no host", "alice@example.com", "alice", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := authorized(tc.authzid, tc.user, tc.host); got != tc.want {
				t.Errorf("authorized(%q, %q, %q) = %v, want %v", tc.authzid, tc.user, tc.host, got, tc.want)
			}
		})
	}
}

// TestAuthzidCaseFolded: the mechanisms that check the authzid against
// what a backend returned accept the JID the session will be bound to.
func TestAuthzidCaseFolded(t *testing.T) {
	tls13, _ := fixtures(t)
	wp := &pwBackend{name: "wp", users: map[string]string{`Carol\40Example`: "pw"}}
	s := NewServer(Config{Hosts: map[string]HostConfig{testHost: {
		Backends: []Backend{wp, cookieBackend{}, tokenBackend{}},
	}}}, &memSource{})
	ci := tls13.connInfo()
	withCookie := ci
	withCookie.Cookies = []*http.Cookie{{Name: "site", Value: `ok-Carol\40Example`}}
	authzid := `carol\40example@` + testHost
	tests := []struct {
		name, mech string
		ci         ConnInfo
		msg        string
	}{
		{"PLAIN", Plain, ci, authzid + "\x00Carol\\40Example\x00pw"},
		{"EXTERNAL", External, withCookie, authzid},
		{"OAUTHBEARER", OAuthBearer, ci, "n,a=" + authzid + ",\x01auth=Bearer good-Carol\\40Example\x01\x01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := s.Start(tc.mech, tc.ci)
			if err != nil {
				t.Fatal(err)
			}
			_, done, err := ex.Step(context.Background(), []byte(tc.msg))
			if err != nil || !done || ex.Username() != `Carol\40Example` {
				t.Fatalf("got %q, done %v, %v", ex.Username(), done, err)
			}
		})
	}
}
