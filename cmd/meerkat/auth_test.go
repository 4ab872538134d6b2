package main

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
)

// TestBuildAuth: each host gets the backends its list names, and offers
// only the mechanisms they can serve.
func TestBuildAuth(t *testing.T) {
	dir := t.TempDir()
	wpConfig := filepath.Join(dir, "wp-config.php")
	if err := os.WriteFile(wpConfig, []byte("<?php\ndefine('LOGGED_IN_KEY', 'k');\ndefine('LOGGED_IN_SALT', 's');\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("meerkat.toml", []byte(`[general]
hosts = ["a.example", "wp.example", "guest.example", "token.example"]
[auth]
backends = ["internal"]
[auth.hosts."wp.example"]
backends = ["wordpress", "http"]
[auth.hosts."guest.example"]
backends = ["anonymous"]
[auth.hosts."token.example"]
backends = ["jwt", "internal"]
[auth.wordpress]
dsn = "wp:secret@tcp(127.0.0.1:1)/wordpress"
wp_config = "`+wpConfig+`"
[auth.http]
base_url = "http://127.0.0.1:1/auth"
[auth.jwt]
secret = "0123456789abcdef0123456789abcdef"
`))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "m.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv, release, err := buildAuth(cfg, store, []byte("secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	secure := &tls.ConnectionState{HandshakeComplete: true}
	for host, want := range map[string][]string{
		"a.example":     {"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"},
		"wp.example":    {"PLAIN"},
		"guest.example": {"ANONYMOUS"},
		"token.example": {"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "OAUTHBEARER"},
	} {
		if got := srv.Mechanisms(auth.ConnInfo{Host: host, TLS: secure}); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", host, got, want)
		}
	}

	cfg.Auth.WordPress.WPConfig = filepath.Join(dir, "missing.php")
	if _, _, err := buildAuth(cfg, store, []byte("secret"), nil); err == nil {
		t.Error("a missing wp_config was accepted")
	}
}

// TestBuildAuthJWTRequireExp: a JWT without exp would log in forever, so
// it fails unless [auth.jwt] require_exp is switched off; a token with a
// future exp passes either way.
func TestBuildAuthJWTRequireExp(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	sign := func(claims gojwt.MapClaims) string {
		tok, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256, claims).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	withExp := sign(gojwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
	noExp := sign(gojwt.MapClaims{"sub": "alice"})
	tests := []struct {
		name, setting, token string
		ok                   bool
	}{
		{"no exp, default", "", noExp, false},
		{"no exp, require_exp = true", "require_exp = true\n", noExp, false},
		{"no exp, require_exp = false", "require_exp = false\n", noExp, true},
		{"exp, default", "", withExp, true},
		{"exp, require_exp = false", "require_exp = false\n", withExp, true},
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"), sqlite.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse("meerkat.toml", []byte("[general]\nhosts = [\"token.example\"]\n[auth]\nbackends = [\"jwt\"]\n[auth.jwt]\nsecret = \""+secret+"\"\n"+tt.setting))
			if err != nil {
				t.Fatal(err)
			}
			srv, release, err := buildAuth(cfg, store, []byte("secret"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			x, err := srv.Start("PLAIN", auth.ConnInfo{Host: "token.example", TLS: &tls.ConnectionState{HandshakeComplete: true}})
			if err != nil {
				t.Fatal(err)
			}
			_, done, err := x.Step(context.Background(), []byte("\x00alice\x00"+tt.token))
			if tt.ok {
				if err != nil || !done || x.Username() != "alice" {
					t.Fatalf("login: done %v, user %q, err %v; want alice", done, x.Username(), err)
				}
				return
			}
			var f *auth.Failure
			if !errors.As(err, &f) || f.Condition != auth.NotAuthorized {
				t.Fatalf("err = %v, want not-authorized", err)
			}
		})
	}
}
