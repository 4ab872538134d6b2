package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/api"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
)

// roomModule stands in for the MUC module: a module that also posts into rooms.
type roomModule struct{ posts []string }

func (*roomModule) Name() string                              { return "rooms" }
func (*roomModule) Start(context.Context, *module.Host) error { return nil }
func (*roomModule) Stop(context.Context) error                { return nil }
func (m *roomModule) PostToRoom(_ context.Context, room jid.JID, nick, body string) error {
	m.posts = append(m.posts, room.String()+"|"+nick+"|"+body)
	return nil
}

// TestAPIHandlerFindsRoomPoster checks that a module implementing
// api.RoomPoster serves room posts with no further wiring, and that the
// service JID and token file come from the configuration.
func TestAPIHandlerFindsRoomPoster(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	os.WriteFile(tokens, []byte("# comment\n\n  file-token-0123456789  \n"), 0o600)
	cfg := config.Default()
	cfg.API.Enabled, cfg.API.TokenFile, cfg.API.ServiceJID = true, tokens, "bot@localhost"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rooms := &roomModule{}
	h, err := apiHandler(cfg, router.New(router.Options{Hosts: cfg.General.Hosts}), nil, []module.Module{rooms}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := &api.Client{BaseURL: srv.URL, Token: "file-token-0123456789"}
	if _, err := c.PostToRoom(context.Background(), "lobby@conference.localhost", api.RoomMessageRequest{Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rooms.posts, ";"); got != "lobby@conference.localhost|bot|hi" {
		t.Fatalf("posts %q", got)
	}

	cfg.API.Enabled = false
	if h, err := apiHandler(cfg, nil, nil, nil, nil, nil); h != nil || err != nil {
		t.Fatalf("disabled API: %v, %v", h, err)
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body, want, err string
	}{
		{"two tokens", "# admin\naaaaaaaaaaaaaaaa\n\nbbbbbbbbbbbbbbbb\n", "aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb", ""},
		{"short token", "aaaaaaaaaaaaaaaa\nshort\n", "", ":2: a token must be at least 16 characters"},
		{"empty", "# nothing\n", "", "no token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			os.WriteFile(p, []byte(tc.body), 0o600)
			got, err := readTokenFile(p)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || strings.Join(got, ",") != tc.want {
				t.Fatalf("%v, %v", got, err)
			}
		})
	}
}
