package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

func TestPLAIN(t *testing.T) {
	tls13, _ := fixtures(t)
	tests := []struct {
		name      string
		msg       string
		storeErr  error
		condition string // "" means success as user
		user      string
	}{
		{name: "good", msg: "\x00alice\x00wonderland", user: "alice"},
		{name: "good with bare JID authzid", msg: "alice@example.com\x00alice\x00wonderland", user: "alice"},
		{name: "good with localpart authzid", msg: "alice\x00alice\x00wonderland", user: "alice"},
		{name: "fallback to SHA-512 keys", msg: "\x00erin\x00secret", user: "erin"},
		{name: "wrong password", msg: "\x00alice\x00looking-glass", condition: NotAuthorized},
		{name: "unknown user", msg: "\x00mallory\x00wonderland", condition: NotAuthorized},
		{name: "authzid mismatch", msg: "bob@example.com\x00alice\x00wonderland", condition: InvalidAuthzid},
		{name: "missing NULs", msg: "alice wonderland", condition: MalformedRequest},
		{name: "one NUL", msg: "alice\x00wonderland", condition: MalformedRequest},
		{name: "three NULs", msg: "\x00alice\x00wonder\x00land", condition: MalformedRequest},
		{name: "empty authcid", msg: "alice\x00\x00wonderland", condition: MalformedRequest},
		{name: "empty password", msg: "\x00alice\x00", condition: MalformedRequest},
		{name: "invalid UTF-8", msg: "\x00al\xffice\x00wonderland", condition: MalformedRequest},
		{name: "control character in password", msg: "\x00alice\x00wonder\x01land", condition: NotAuthorized},
		{name: "storage failure", msg: "\x00alice\x00wonderland", storeErr: errors.New("db down"), condition: TemporaryAuthFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, src := newTestServer(t, Config{})
			erin := credsFor(t, "secret")
			erin.SHA256 = storage.SCRAMKeys{}
			src.add(testHost, "erin", erin)
			src.err = tt.storeErr

			ex, err := s.Start(Plain, tls13.connInfo())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			out, done, err := ex.Step(ctx, []byte(tt.msg))
			if tt.condition == "" {
				if err != nil || !done || out != nil {
					t.Fatalf("got %q %v %v", out, done, err)
				}
				if ex.Username() != tt.user {
					t.Errorf("Username() = %q, want %q", ex.Username(), tt.user)
				}
			} else {
				if f := asFailure(t, err); f.Condition != tt.condition {
					t.Fatalf("got %v, want %s", err, tt.condition)
				}
				if ex.Username() != "" {
					t.Errorf("Username() = %q after failure", ex.Username())
				}
			}
			if _, _, err := ex.Step(ctx, []byte(tt.msg)); asFailure(t, err).Condition != MalformedRequest {
				t.Errorf("second Step: %v", err)
			}
		})
	}
}

func TestPLAINNoInitialResponse(t *testing.T) {
	tls13, _ := fixtures(t)
	s, _ := newTestServer(t, Config{})
	ex, _ := s.Start(Plain, tls13.connInfo())
	ctx := context.Background()
	out, done, err := ex.Step(ctx, nil)
	if err != nil || done || out == nil || len(out) != 0 {
		t.Fatalf("got %q %v %v, want an empty challenge", out, done, err)
	}
	if _, done, err := ex.Step(ctx, []byte("\x00bob\x00builder")); err != nil || !done {
		t.Fatalf("got %v %v", done, err)
	}
	if ex.Username() != "bob" {
		t.Errorf("Username() = %q", ex.Username())
	}
}

func TestPLAINRefusedWithoutTLS(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	for _, m := range s.Mechanisms(ConnInfo{Host: testHost}) {
		if m == Plain {
			t.Error("PLAIN offered without TLS")
		}
	}
	if _, err := s.Start(Plain, ConnInfo{Host: testHost}); asFailure(t, err).Condition != EncryptionRequired {
		t.Errorf("Start: %v", err)
	}
}
