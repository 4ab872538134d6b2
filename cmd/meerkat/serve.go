package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/meerkat-xmpp/meerkat/config"
)

func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: built-in defaults)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if addr := os.Getenv(pprofEnv); addr != "" {
		stop, err := startPprof(addr, log)
		if err != nil {
			return usageError{err}
		}
		defer stop()
	}
	n, err := startNode(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("meerkat started", "version", version(), "hosts", strings.Join(cfg.General.Hosts, ","),
		"storage", cfg.Storage.Backend, "data_dir", cfg.General.DataDir)
	if users, err := n.store.ListUsers(ctx, cfg.General.Hosts[0]); err == nil && len(users) == 0 {
		hint := "meerkat user add alice@" + cfg.General.Hosts[0]
		if *cfgPath != "" {
			hint = "meerkat user add -config " + *cfgPath + " alice@" + cfg.General.Hosts[0]
		}
		log.Info("no users yet; add one with: " + hint)
	}
	<-ctx.Done()
	log.Info("shutting down")
	n.stop(context.WithoutCancel(ctx))
	log.Info("stopped")
	return nil
}

// loadConfig reads path, or returns the defaults when path is empty. Config
// errors are usage errors (exit 2), each naming file:line and key.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(cfg.Log.Level))
	o := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}
