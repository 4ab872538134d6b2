package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/internal/mob"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/postgres"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
)

// provisionStore writes the n accounts straight into the database that a
// Meerkat configuration names, the bulk path for tens of thousands of
// users. All of them get the same derived credentials (one salt), so the
// keys are derived once here and mob's SCRAM client, which caches salted
// passwords, runs PBKDF2 once per run rather than once per login: the
// login figures then measure the server, not mob. That is fine for test
// accounts and wrong for real ones. Accounts that exist are left as they
// are (with their own salt). It works while the server runs: SQLite in
// WAL mode takes a second writer, PostgreSQL any number.
func provisionStore(ctx context.Context, confPath string, cfg *mob.Config, n int) (*mob.ProvisionResult, error) {
	conf, err := config.Load(confPath)
	if err != nil {
		return nil, fmt.Errorf("--meerkat-config: %w", err)
	}
	var store storage.Store
	switch conf.Storage.Backend {
	case "postgres":
		store, err = postgres.Open(ctx, conf.Storage.Postgres.DSN, postgres.Options{MaxConns: 4, AutoMigrate: conf.Storage.AutoMigrate})
	default:
		if err := os.MkdirAll(conf.General.DataDir, 0o750); err != nil {
			return nil, err
		}
		store, err = sqlite.Open(ctx, conf.SQLitePath(), sqlite.Options{AutoMigrate: conf.Storage.AutoMigrate})
	}
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	defer store.Close()
	creds, err := auth.DeriveCredentials(cfg.Password, conf.Auth.SCRAMIterations)
	if err != nil {
		return nil, err
	}
	var res mob.ProvisionResult
	t0 := time.Now()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		a := cfg.Account(i)
		switch err := store.CreateUser(ctx, a.Domain, a.User, creds); {
		case err == nil:
			res.Created++
		case errors.Is(err, storage.ErrExists):
			res.Existed++
		default:
			res.Failed++
			if res.FirstError == nil {
				res.FirstError = fmt.Errorf("%s: %w", a.JID(), err)
			}
		}
	}
	res.Seconds = time.Since(t0).Seconds()
	return &res, ctx.Err()
}
