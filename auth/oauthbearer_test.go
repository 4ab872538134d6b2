package auth

import (
	"context"
	"strings"
	"testing"
)

// tokenBackend accepts the token "good-<user>".
type tokenBackend struct{}

func (tokenBackend) Name() string { return "token" }

func (tokenBackend) CheckToken(_ context.Context, _ ConnInfo, token string) (string, error) {
	if u, ok := strings.CutPrefix(token, "good-"); ok {
		return u, nil
	}
	return "", ErrBadCredentials
}

func TestOAuthBearer(t *testing.T) {
	tls13, _ := fixtures(t)
	s := NewServer(Config{Hosts: map[string]HostConfig{testHost: {Backends: []Backend{tokenBackend{}}}}}, &memSource{})
	ci := tls13.connInfo()
	if got := s.Mechanisms(ci); len(got) != 1 || got[0] != OAuthBearer {
		t.Fatalf("Mechanisms = %v", got)
	}
	if _, err := s.Start(OAuthBearer, ConnInfo{Host: testHost}); condition(err) != EncryptionRequired {
		t.Fatalf("without TLS: %v", err)
	}
	tests := []struct {
		name, msg, user, cond string
		errorChallenge        bool
	}{
		{"valid", "n,,\x01auth=Bearer good-alice\x01\x01", "alice", "", false},
		{"authzid", "n,a=alice@" + testHost + ",\x01host=x\x01auth=bearer good-alice\x01\x01", "alice", "", false},
		{"other authzid", "n,a=bob,\x01auth=Bearer good-alice\x01\x01", "", InvalidAuthzid, false},
		{"bad token", "n,,\x01auth=Bearer bad\x01\x01", "", NotAuthorized, true},
		{"no auth", "n,,\x01host=x\x01\x01", "", MalformedRequest, false},
		{"basic", "n,,\x01auth=Basic x\x01\x01", "", MalformedRequest, false},
		{"p flag", "p=tls-exporter,,\x01auth=Bearer good-alice\x01\x01", "", MalformedRequest, false},
		{"unterminated", "n,,\x01auth=Bearer good-alice\x01", "", MalformedRequest, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := s.Start(OAuthBearer, ci)
			if err != nil {
				t.Fatal(err)
			}
			out, done, err := ex.Step(context.Background(), []byte(tc.msg))
			if tc.errorChallenge {
				if err != nil || done || !strings.Contains(string(out), "invalid_token") {
					t.Fatalf("want the error challenge, got %q %v %v", out, done, err)
				}
				_, done, err = ex.Step(context.Background(), []byte{1})
			}
			if ex.Username() != tc.user || condition(err) != tc.cond || done != (tc.cond == "") {
				t.Fatalf("got %q, %v, done %v; want %q, %q", ex.Username(), err, done, tc.user, tc.cond)
			}
		})
	}
}

func FuzzParseOAuthBearer(f *testing.F) {
	f.Add([]byte("n,a=a=3Db=2C,\x01auth=Bearer t\x01\x01"))
	f.Add([]byte("y,,\x01\x01"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		authzid, token, fl := parseOAuthBearer(msg)
		if fl == nil && token == "" {
			t.Fatalf("accepted %q without a token (authzid %q)", msg, authzid)
		}
	})
}
