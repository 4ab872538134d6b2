package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// TestStartRemovesStaleGuests: guest accounts a crash left behind are
// gone once the node has started, on hosts with guests only.
func TestStartRemovesStaleGuests(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("meerkat.toml", []byte(`[general]
hosts = ["localhost", "other.example"]
data_dir = "`+filepath.Join(dir, "data")+`"
[[listen.c2s]]
address = "127.0.0.1:0"
[auth]
backends = ["internal"]
[auth.hosts."localhost"]
backends = ["internal", "anonymous"]
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	accounts := []struct {
		host, user string
		kept       bool
	}{
		{"localhost", "guest-aaaaaaaaaaaaaaaa", false},
		{"localhost", "wpuser", true},
		{"other.example", "guest-bbbbbbbbbbbbbbbb", true},
	}
	seed, err := openStore(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		if err := seed.CreateUser(ctx, a.host, a.user, storage.Credentials{}); err != nil {
			t.Fatal(err)
		}
	}
	seed.Close()

	n, err := startNode(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer n.stop(context.Background())
	for _, a := range accounts {
		if ok, err := n.store.UserExists(ctx, a.host, a.user); err != nil || ok != a.kept {
			t.Errorf("%s@%s exists %v, %v; want %v", a.user, a.host, ok, err, a.kept)
		}
	}
}
