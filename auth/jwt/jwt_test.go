package jwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/auth/jwt"
)

var (
	now    = time.Unix(1800000000, 0)
	secret = []byte("0123456789abcdef0123456789abcdef")
	ci     = auth.ConnInfo{Host: "example.com"}
)

func pubPEM(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func sign(t *testing.T, m gojwt.SigningMethod, key any, claims gojwt.MapClaims) string {
	t.Helper()
	s, err := gojwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims(sub string, exp, nbf time.Time) gojwt.MapClaims {
	c := gojwt.MapClaims{"sub": sub, "exp": exp.Unix()}
	if !nbf.IsZero() {
		c["nbf"] = nbf.Unix()
	}
	return c
}

func TestJWT(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	hour := time.Hour
	ok := claims("alice", now.Add(hour), time.Time{})
	backends := map[string]jwt.Config{
		"HS256": {Algorithm: jwt.HS256, Secret: secret},
		"RS256": {Algorithm: jwt.RS256, PublicKeyPEM: pubPEM(t, &rsaKey.PublicKey)},
		"ES256": {Algorithm: jwt.ES256, PublicKeyPEM: pubPEM(t, &ecKey.PublicKey)},
		"claim": {Algorithm: jwt.HS256, Secret: secret, UserClaim: "preferred_username", Issuer: "https://site.example"},
	}
	unsigned, _ := gojwt.NewWithClaims(gojwt.SigningMethodNone, ok).SignedString(gojwt.UnsafeAllowNoneSignatureType)
	tests := []struct {
		name, backend, user, token string
		ok                         bool
	}{
		{"HS256 valid", "HS256", "alice", sign(t, gojwt.SigningMethodHS256, secret, ok), true},
		{"HS256 user@host", "HS256", "alice", sign(t, gojwt.SigningMethodHS256, secret, claims("alice@example.com", now.Add(hour), time.Time{})), true},
		{"HS256 other host", "HS256", "alice", sign(t, gojwt.SigningMethodHS256, secret, claims("alice@evil.example", now.Add(hour), time.Time{})), false},
		{"HS256 other user", "HS256", "bob", sign(t, gojwt.SigningMethodHS256, secret, ok), false},
		{"HS256 expired", "HS256", "alice", sign(t, gojwt.SigningMethodHS256, secret, claims("alice", now.Add(-hour), time.Time{})), false},
		{"HS256 not yet valid", "HS256", "alice", sign(t, gojwt.SigningMethodHS256, secret, claims("alice", now.Add(2*hour), now.Add(hour))), false},
		{"HS256 wrong key", "HS256", "alice", sign(t, gojwt.SigningMethodHS256, []byte("another secret of thirty-two bytes!"), ok), false},
		{"HS384 refused", "HS256", "alice", sign(t, gojwt.SigningMethodHS384, secret, ok), false},
		{"none refused", "HS256", "alice", unsigned, false},
		{"none refused RS", "RS256", "alice", unsigned, false},
		{"RS256 valid", "RS256", "alice", sign(t, gojwt.SigningMethodRS256, rsaKey, ok), true},
		{"RS256 wrong key", "RS256", "alice", sign(t, gojwt.SigningMethodRS256, otherRSA, ok), false},
		{"HS256 with the RSA public key as secret", "RS256", "alice", sign(t, gojwt.SigningMethodHS256, pubPEM(t, &rsaKey.PublicKey), ok), false},
		{"ES256 valid", "ES256", "alice", sign(t, gojwt.SigningMethodES256, ecKey, ok), true},
		{"RS256 to ES256", "ES256", "alice", sign(t, gojwt.SigningMethodRS256, rsaKey, ok), false},
		{"claim and issuer", "claim", "alice", sign(t, gojwt.SigningMethodHS256, secret, gojwt.MapClaims{"preferred_username": "alice", "iss": "https://site.example", "exp": now.Add(hour).Unix()}), true},
		{"claim wrong issuer", "claim", "alice", sign(t, gojwt.SigningMethodHS256, secret, gojwt.MapClaims{"preferred_username": "alice", "iss": "https://evil.example", "exp": now.Add(hour).Unix()}), false},
		{"claim missing", "claim", "alice", sign(t, gojwt.SigningMethodHS256, secret, ok), false},
		{"not a token", "HS256", "alice", "password", false},
		{"garbage", "HS256", "alice", "a.b.c", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := backends[tc.backend]
			cfg.Now = func() time.Time { return now }
			b, err := jwt.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.CheckPassword(context.Background(), ci, tc.user, tc.token)
			if tc.ok {
				if err != nil || got != tc.user {
					t.Fatalf("got %q, %v; want %q", got, err, tc.user)
				}
				return
			}
			if !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("got %q, %v; want ErrBadCredentials", got, err)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	for _, c := range []jwt.Config{
		{Algorithm: "none"},
		{Algorithm: jwt.HS256, Secret: []byte("short")},
		{Algorithm: jwt.RS256, PublicKeyPEM: []byte("not pem")},
	} {
		if _, err := jwt.New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

func FuzzJWT(f *testing.F) {
	b, err := jwt.New(jwt.Config{Algorithm: jwt.HS256, Secret: secret, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.x")
	f.Fuzz(func(t *testing.T, tok string) {
		if _, err := b.CheckPassword(context.Background(), ci, "alice", tok); err == nil && !strings.Contains(tok, ".") {
			t.Fatal("accepted a non-token")
		}
	})
}

func BenchmarkJWTHS256(b *testing.B) {
	be, _ := jwt.New(jwt.Config{Algorithm: jwt.HS256, Secret: secret, Now: func() time.Time { return now }})
	tok, _ := gojwt.NewWithClaims(gojwt.SigningMethodHS256, claims("alice", now.Add(time.Hour), time.Time{})).SignedString(secret)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := be.CheckPassword(context.Background(), ci, "alice", tok); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOAuthBearer logs in through the SASL server with the JWT in an
// OAUTHBEARER message.
func TestOAuthBearer(t *testing.T) {
	b, err := jwt.New(jwt.Config{Algorithm: jwt.HS256, Secret: secret, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := auth.NewServer(auth.Config{Hosts: map[string]auth.HostConfig{"example.com": {Backends: []auth.Backend{b}}}}, nil)
	tok := sign(t, gojwt.SigningMethodHS256, secret, claims("alice", now.Add(time.Hour), time.Time{}))
	expired := sign(t, gojwt.SigningMethodHS256, secret, claims("alice", now.Add(-time.Hour), time.Time{}))
	secure := auth.ConnInfo{Host: "example.com", TLS: &tls.ConnectionState{HandshakeComplete: true}}
	for _, tc := range []struct {
		token string
		ok    bool
	}{{tok, true}, {expired, false}} {
		ex, err := srv.Start(auth.OAuthBearer, secure)
		if err != nil {
			t.Fatal(err)
		}
		out, done, err := ex.Step(context.Background(), []byte("n,,\x01auth=Bearer "+tc.token+"\x01\x01"))
		if tc.ok {
			if err != nil || !done || ex.Username() != "alice" {
				t.Fatalf("valid token: %q %v %v", ex.Username(), done, err)
			}
			continue
		}
		if err != nil || done || len(out) == 0 {
			t.Fatalf("expired token: want an error challenge, got %q %v %v", out, done, err)
		}
		if _, _, err := ex.Step(context.Background(), []byte{1}); !errors.Is(err, &auth.Failure{Condition: auth.NotAuthorized}) {
			t.Fatalf("expired token: %v", err)
		}
	}
}
