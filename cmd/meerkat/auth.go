package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/meerkat-xmpp/meerkat/auth"
	httpauth "github.com/meerkat-xmpp/meerkat/auth/http"
	"github.com/meerkat-xmpp/meerkat/auth/jwt"
	"github.com/meerkat-xmpp/meerkat/auth/wordpress"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// buildAuth makes the SASL server of cfg: one instance of each backend
// the hosts' lists name, shared by the hosts. close releases the backends'
// connection pools.
func buildAuth(cfg *config.Config, store storage.Store, secret []byte, log *slog.Logger) (srv *auth.Server, release func(), err error) {
	a := &cfg.Auth
	built := map[string]auth.Backend{config.BackendInternal: auth.Internal{Source: store}}
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	backend := func(name string) (auth.Backend, error) {
		if b, ok := built[name]; ok {
			return b, nil
		}
		var b auth.Backend
		switch name {
		case config.BackendWordPress:
			w := a.WordPress
			secrets := wordpress.Secrets{LoggedInKey: w.LoggedInKey, LoggedInSalt: w.LoggedInSalt}
			if w.WPConfig != "" {
				s, err := wordpress.ReadSecrets(w.WPConfig)
				if err != nil {
					return nil, fmt.Errorf("auth.wordpress.wp_config: %w", err)
				}
				secrets = s
			}
			wb, err := wordpress.Open(wordpress.Config{
				DSN: w.DSN, TablePrefix: w.TablePrefix, Secrets: secrets,
				Cookies: w.Cookies, Passwords: w.Passwords, HTTPCookies: w.HTTPCookies,
				CacheTTL: w.CacheTTL.D(), QueryTimeout: w.QueryTimeout.D(),
			})
			if err != nil {
				return nil, fmt.Errorf("auth.wordpress: %w", err)
			}
			closers = append(closers, func() { wb.Close() })
			b = wb
		case config.BackendHTTP:
			h := a.HTTP
			hb, err := httpauth.New(httpauth.Config{BaseURL: h.BaseURL, BasicAuth: h.BasicAuth,
				Timeout: h.Timeout.D(), MaxConns: h.MaxConns, CacheTTL: h.CacheTTL.D()})
			if err != nil {
				return nil, fmt.Errorf("auth.http: %w", err)
			}
			closers = append(closers, hb.Close)
			b = hb
		case config.BackendJWT:
			j := a.JWT
			jc := jwt.Config{Algorithm: j.Algorithm, Secret: []byte(j.Secret), UserClaim: j.UserClaim,
				Issuer: j.Issuer, Audience: j.Audience, Leeway: j.Leeway.D(), RequireExp: j.RequireExp}
			if j.SecretFile != "" {
				s, err := os.ReadFile(j.SecretFile)
				if err != nil {
					return nil, fmt.Errorf("auth.jwt.secret_file: %w", err)
				}
				jc.Secret = []byte(strings.TrimRight(string(s), "\r\n"))
			}
			if j.PublicKeyFile != "" {
				pem, err := os.ReadFile(j.PublicKeyFile)
				if err != nil {
					return nil, fmt.Errorf("auth.jwt.public_key_file: %w", err)
				}
				jc.PublicKeyPEM = pem
			}
			jb, err := jwt.New(jc)
			if err != nil {
				return nil, fmt.Errorf("auth.jwt: %w", err)
			}
			b = jb
		default:
			return nil, errors.New("unknown auth backend " + name)
		}
		built[name] = b
		return b, nil
	}
	hosts := make(map[string]auth.HostConfig, len(cfg.General.Hosts))
	for _, host := range cfg.General.Hosts {
		var hc auth.HostConfig
		for _, name := range a.BackendsFor(host) {
			if name == config.BackendAnonymous {
				hc.Anonymous = true
				continue
			}
			b, err := backend(name)
			if err != nil {
				return nil, nil, err
			}
			hc.Backends = append(hc.Backends, b)
		}
		hosts[host] = hc
	}
	srv = auth.NewServer(auth.Config{
		Mechanisms: a.Mechanisms, FakeSaltSecret: secret, Iterations: a.SCRAMIterations,
		RejectCBDowngrade: a.RejectCBDowngrade,
		Hosts:             hosts,
		RateLimit:         auth.RateLimit{PerIP: a.RateLimit.PerIP, PerAccount: a.RateLimit.PerAccount, Window: a.RateLimit.Window.D()},
		Accounts:          store,
		Logger:            log,
	}, store)
	return srv, closeAll, nil
}
