package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/api"
	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/internal/gctune"
	"github.com/meerkat-xmpp/meerkat/internal/memtrim"
	"github.com/meerkat-xmpp/meerkat/internal/selfsigned"
	"github.com/meerkat-xmpp/meerkat/metrics"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/storage/postgres"
	"github.com/meerkat-xmpp/meerkat/storage/sqlite"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// node is one running Meerkat: every part wired together. It is the only
// place that knows all packages.
type node struct {
	cfg    *config.Config
	log    *slog.Logger
	reg    *prometheus.Registry
	store  storage.Store
	router *router.Router
	mods   *module.Set
	c2s    *c2s.Server
	http   *http.Server
	ready  atomic.Bool

	closeAuth func() // releases the auth backends' pools
}

// openStore opens the configured backend; obs may be nil.
func openStore(ctx context.Context, cfg *config.Config, obs func(string, time.Duration, error)) (storage.Store, error) {
	switch cfg.Storage.Backend {
	case "postgres":
		return postgres.Open(ctx, cfg.Storage.Postgres.DSN, postgres.Options{
			MaxConns: int32(cfg.Storage.Postgres.MaxConns), AutoMigrate: cfg.Storage.AutoMigrate, Observe: obs,
		})
	default:
		return sqlite.Open(ctx, cfg.SQLitePath(), sqlite.Options{AutoMigrate: cfg.Storage.AutoMigrate, Observe: obs})
	}
}

func startNode(ctx context.Context, cfg *config.Config, log *slog.Logger) (n *node, err error) {
	mods, err := buildModules(cfg)
	if err != nil {
		return nil, err
	}
	n = &node{cfg: cfg, log: log, reg: metrics.NewRegistry(version())}
	started := n // the error returns below set n to nil before this runs
	defer func() {
		if err != nil {
			started.stop(context.Background())
		}
	}()
	if err := os.MkdirAll(cfg.General.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	n.store, err = openStore(ctx, cfg, metrics.StorageObserver(n.reg, cfg.Storage.Backend))
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	tlsCfg, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	secret, err := fakeSaltSecret(cfg.General.DataDir)
	if err != nil {
		return nil, err
	}
	n.router = router.New(router.Options{
		Hosts: cfg.General.Hosts, Users: n.store, Logger: log.With("component", "router"),
		Metrics: router.NewMetrics(n.reg),
	})
	n.mods = module.NewSet(module.Deps{
		Router: n.router, Store: n.store, Logger: log, Registerer: n.reg, Hosts: cfg.General.Hosts,
	})
	if err := n.mods.Start(ctx, mods); err != nil {
		return nil, err
	}
	authSrv, closeAuth, err := buildAuth(cfg, n.store, secret, log.With("component", "auth"))
	if err != nil {
		return nil, err
	}
	n.closeAuth = closeAuth
	// Guests' accounts live as long as their sessions; after a crash those
	// of the sessions it cut are left over. No session can be live yet.
	if removed, err := authSrv.RemoveStaleGuests(ctx); err != nil {
		log.Warn("removing anonymous guests left from an earlier run failed", "removed", removed, "err", err)
	} else if removed > 0 {
		log.Info("removed anonymous guests left from an earlier run", "removed", removed)
	}
	n.c2s = c2s.NewServer(c2s.Deps{
		Router: n.router, Auth: authSrv, TLS: tlsCfg, Logger: log.With("component", "c2s"),
		Metrics: c2s.NewMetrics(n.reg),
	})
	for i, l := range cfg.Listen.C2S {
		lc := c2s.ListenerConfig{
			Name:    fmt.Sprintf("c2s%d", i),
			Address: l.Address, StartTLSRequired: l.StartTLSRequired,
			Limits:             stream.Limits{MaxStanzaBytes: l.MaxStanzaBytes, MaxDepth: l.MaxDepth, MaxAttrs: l.MaxAttrs},
			HandshakeTimeout:   l.HandshakeTimeout.D(),
			IdleTimeout:        l.IdleTimeout.D(),
			ParkAfter:          l.ParkAfter.D(),
			OutboundQueueBytes: l.OutboundQueueBytes,
			MaxAuthFailures:    l.MaxAuthFailures,
			ReplaceOnConflict:  l.ResourceConflict != "refuse",
			LegacySession:      l.LegacySession,
		}
		switch l.Mode {
		case "direct":
			lc.Mode = c2s.ModeDirect
		case "plain":
			lc.Mode = c2s.ModePlain
		}
		if _, err := n.c2s.Listen(ctx, lc); err != nil {
			return nil, fmt.Errorf("listen.c2s[%d] %s: %w", i, l.Address, err)
		}
	}
	if cfg.Listen.HTTP.Enabled {
		ln, err := net.Listen("tcp", cfg.Listen.HTTP.Address)
		if err != nil {
			return nil, fmt.Errorf("listen.http %s: %w", cfg.Listen.HTTP.Address, err)
		}
		apiH, err := apiHandler(cfg, n.router, n.store, mods, n.reg, log)
		if err != nil {
			ln.Close()
			return nil, err
		}
		handler, err := n.webHandler(ctx, api.NewHandler(api.Options{Gatherer: n.reg, API: apiH, Ready: func() error {
			if !n.ready.Load() {
				return errors.New("not ready")
			}
			return nil
		}}))
		if err != nil {
			ln.Close()
			return nil, err
		}
		if cfg.Listen.HTTP.TLS {
			ln = tls.NewListener(ln, httpTLS(tlsCfg))
		}
		n.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		go n.http.Serve(ln)
		log.Info("http listening", "address", ln.Addr().String())
	}
	gc := gctune.Apply(gctune.Policy{GCPercent: cfg.General.GCPercent, MemoryLimit: int64(cfg.General.MemoryLimit)})
	log.Info("garbage collector", "gc_percent", gc.GCPercent, "gc_percent_from", gc.GCPercentFrom,
		"memory_limit_bytes", gc.MemoryLimit, "memory_limit_from", gc.MemoryLimitSrc)
	if gc.GCPercentFrom == "config" {
		go (&gctune.Governor{Percent: gc.GCPercent}).Run(ctx)
	}
	trim := &memtrim.Trimmer{Interval: cfg.General.MemoryTrimInterval.D(), OnTrim: func(spare uint64) {
		log.Debug("returned spare memory to the OS", "spare_bytes", spare)
	}}
	go trim.Run(ctx)
	n.ready.Store(true)
	return n, nil
}

// stop shuts down in the order STYLE.md gives: readiness fails, listeners
// close, sessions get system-shutdown and are flushed within the grace
// period, then storage closes.
func (n *node) stop(ctx context.Context) {
	n.ready.Store(false)
	grace := n.cfg.General.ShutdownGrace.D()
	if grace <= 0 {
		grace = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	if n.c2s != nil {
		if err := n.c2s.Shutdown(ctx); err != nil {
			n.log.Warn("sessions did not close within the grace period", "err", err)
		}
	}
	if n.http != nil {
		n.http.Shutdown(ctx)
	}
	if n.mods != nil {
		if err := n.mods.Stop(ctx); err != nil {
			n.log.Warn("modules did not stop cleanly", "err", err)
		}
	}
	if n.closeAuth != nil {
		n.closeAuth()
	}
	if n.store != nil {
		n.store.Close()
	}
}

func loadTLS(cfg *config.Config) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	if cfg.TLS.CertFile != "" {
		cert, err = tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
	} else {
		cert, err = selfsigned.LoadOrCreate(filepath.Join(cfg.General.DataDir, "tls"), cfg.General.Hosts)
	}
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	minV := uint16(tls.VersionTLS12)
	if cfg.TLS.MinVersion == "1.3" {
		minV = tls.VersionTLS13
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: minV}, nil
}

// fakeSaltSecret is the per-installation key for SCRAM's fake salts; it is
// kept so an unknown user's salt stays the same across restarts (a changing
// salt would itself reveal that the account does not exist).
func fakeSaltSecret(dataDir string) ([]byte, error) {
	p := filepath.Join(dataDir, "scram-secret")
	if b, err := os.ReadFile(p); err == nil && len(b) >= 32 {
		return b, nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", p, err)
	}
	return b, nil
}
