package main

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"slices"
	"testing"

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
