package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/api"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/muc"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// apiHandler builds the /api/ handler from [api], or returns nil when the
// API is off. Token and secret files are read here, at start. The first
// running module that implements api.RoomPoster (MUC) serves room posts.
func apiHandler(cfg *config.Config, r *router.Router, users storage.Users, mods []module.Module, reg prometheus.Registerer, log *slog.Logger) (http.Handler, error) {
	a := cfg.API
	if !a.Enabled {
		return nil, nil
	}
	tokens := append([]string(nil), a.Tokens...)
	if a.TokenFile != "" {
		more, err := readTokenFile(a.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("api.token_file: %w", err)
		}
		tokens = append(tokens, more...)
	}
	secret := []byte(a.HMACSecret)
	if a.HMACSecretFile != "" {
		b, err := os.ReadFile(a.HMACSecretFile)
		if err != nil {
			return nil, fmt.Errorf("api.hmac_secret_file: %w", err)
		}
		if secret = bytes.TrimSpace(b); len(secret) < 16 {
			return nil, fmt.Errorf("api.hmac_secret_file: %s: the secret must be at least 16 characters", a.HMACSecretFile)
		}
	}
	var service jid.JID
	if a.ServiceJID != "" {
		var err error
		if service, err = jid.Parse(a.ServiceJID); err != nil {
			return nil, fmt.Errorf("api.service_jid: %w", err)
		}
	}
	var rooms api.RoomPoster
	for _, m := range mods {
		if mm, ok := m.(*muc.Module); ok {
			rooms = mucRooms{mm}
			break
		}
		if p, ok := m.(api.RoomPoster); ok {
			rooms = p
			break
		}
	}
	return api.NewV1(api.V1Options{
		Router: r, Users: users, Rooms: rooms, Hosts: cfg.General.Hosts, ServiceJID: service,
		Auth:            api.NewAuthenticator(api.AuthConfig{Tokens: tokens, Secret: secret, Window: a.TimestampWindow.D()}),
		SCRAMIterations: cfg.Auth.SCRAMIterations, MaxBodyBytes: int64(a.MaxBodyBytes),
		Logger: log.With("component", "api"), Registerer: reg,
	}), nil
}

// readTokenFile reads one token per line, skipping blank lines and
// # comments; each token must be at least 16 characters.
func readTokenFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < 16 {
			return nil, fmt.Errorf("%s:%d: a token must be at least 16 characters", path, n)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New(path + ": no token in the file")
	}
	return out, nil
}

// mucRooms lets the API post into MUC rooms. The adapter lives here, where
// packages are wired, so that the MUC module need not import the API for its
// error value.
type mucRooms struct{ m *muc.Module }

func (r mucRooms) PostToRoom(ctx context.Context, room jid.JID, nick, body string) error {
	err := r.m.PostToRoom(ctx, room, nick, body)
	if errors.Is(err, muc.ErrRoomNotFound) {
		return fmt.Errorf("%w: %w", api.ErrRoomNotFound, err)
	}
	return err
}
