package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/mob"
)

// common holds the flags every scenario takes.
type common struct {
	addr, url, tlsMode, domain, mech   string
	tlsVerify, allowRemote, json       bool
	userPrefix, password, resource     string
	first, concurrency, serverPID      int
	ramp                               float64
	timeout, maxTime                   time.Duration
	sourceIPs, metricsAddr             string
	verbose, trafficGC                 bool
	cpuProfile, tlsGroups              string
	provision, meerkatBin, meerkatConf string
	provisionJobs                      int
	boshPollDelay                      time.Duration
}

func (c *common) register(fs *flag.FlagSet, defRamp float64) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:5222", "server c2s `host:port`")
	fs.StringVar(&c.url, "url", "", "WebSocket `URL` (ws://host:port/xmpp-websocket, RFC 7395) or BOSH URL (http://host:port/http-bind, XEP-0124/0206) instead of TCP")
	fs.DurationVar(&c.boshPollDelay, "bosh-poll-delay", mob.DefaultBOSHPollDelay, "BOSH: how long an empty poll waits after the last answer when no request is in flight (a write in the meantime goes instead); 0 polls at once")
	fs.StringVar(&c.tlsMode, "tls", "starttls", "TCP TLS `mode`: starttls, direct or none")
	fs.BoolVar(&c.tlsVerify, "tls-verify", false, "verify the server's certificate (off: any certificate is accepted)")
	fs.StringVar(&c.tlsGroups, "tls-groups", "x25519", "TLS key exchange `groups`, comma-separated: x25519, p256, p384, x25519mlkem768, or default (Go's own choice, post-quantum hybrid first)")
	fs.StringVar(&c.domain, "domain", "localhost", "XMPP `domain` of the test accounts")
	fs.StringVar(&c.mech, "mech", "SCRAM-SHA-256", "SASL `mechanism`: PLAIN, SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.StringVar(&c.userPrefix, "user-prefix", "user", "accounts are `prefix`<N>@domain")
	fs.StringVar(&c.password, "password", "mob-password", "the test accounts' `password` (all the same)")
	fs.IntVar(&c.first, "first", 1, "`N` of the first account")
	fs.StringVar(&c.resource, "resource", "mob", "`resource` every session binds")
	fs.Float64Var(&c.ramp, "ramp", defRamp, "login rate in logins/`s` (0: as fast as --concurrency allows)")
	fs.IntVar(&c.concurrency, "concurrency", 50, "logins in flight at most")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "bound on each login and each wait for a reply")
	fs.DurationVar(&c.maxTime, "max-time", 30*time.Minute, "hard bound on the whole run")
	fs.StringVar(&c.sourceIPs, "source-ips", "", "local `addresses` to dial from in turn, e.g. 127.0.0.1-127.0.0.8 (when ephemeral ports run short)")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow a target that is not on loopback (only a server you run)")
	fs.IntVar(&c.serverPID, "server-pid", 0, "server `pid`: report its (and its children's) RSS and CPU time")
	fs.BoolVar(&c.json, "json", false, "print the result as JSON")
	fs.BoolVar(&c.trafficGC, "traffic-gc", false, "let mob's own garbage collector run while messages are timed (off: held off for the traffic and drain, so its pauses are not counted as the server's latency)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write mob's own CPU profile to `file` (is mob the bottleneck?)")
	fs.BoolVar(&c.verbose, "v", false, "print the first errors of each kind in full on standard error")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve mob's own Prometheus metrics on `host:port`/metrics")
	fs.StringVar(&c.provision, "provision", "", "create the accounts first: meerkat (meerkat user add), meerkat-store (bulk, straight into the database of --meerkat-config) or register (XEP-0077)")
	fs.StringVar(&c.meerkatBin, "meerkat-bin", "meerkat", "meerkat binary for --provision meerkat")
	fs.StringVar(&c.meerkatConf, "meerkat-config", "", "meerkat config file for --provision meerkat and meerkat-store")
	fs.IntVar(&c.provisionJobs, "provision-jobs", 0, "parallel meerkat processes for --provision meerkat (0: 2 per CPU)")
}

// config checks the flags, the target (loopback unless allowed), and
// builds the scenario configuration.
func (c *common) config(lookup func(host string) error, progress, errLog io.Writer) (*mob.Config, error) {
	mode, err := mob.ParseTLSMode(c.tlsMode)
	if err != nil {
		return nil, usageError{err}
	}
	var sources []net.IP
	if c.sourceIPs != "" {
		if sources, err = mob.ParseSources(c.sourceIPs); err != nil {
			return nil, usageError{err}
		}
	}
	tlsCfg := &tls.Config{ServerName: c.domain, InsecureSkipVerify: !c.tlsVerify}
	if tlsCfg.CurvePreferences, err = parseGroups(c.tlsGroups); err != nil {
		return nil, usageError{err}
	}
	cfg := &mob.Config{
		TLS: mode, Domain: c.domain, Mech: strings.ToUpper(c.mech),
		UserPrefix: c.userPrefix, Password: c.password, First: c.first, Resource: c.resource,
		Ramp: c.ramp, Concurrency: c.concurrency, Timeout: c.timeout, ServerPID: c.serverPID,
		Progress: progress, TrafficGC: c.trafficGC,
	}
	if c.verbose {
		cfg.ErrorLog = errLog
	}
	if c.url != "" {
		var tr mob.Transport
		var host string
		if strings.HasPrefix(c.url, "http://") || strings.HasPrefix(c.url, "https://") {
			var b *mob.BOSH
			b, host, err = mob.NewBOSH(c.url, tlsCfg, c.timeout, sources)
			if b != nil {
				b.PollDelay = c.boshPollDelay
			}
			tr = b
		} else {
			tr, host, err = mob.NewWebSocket(c.url, tlsCfg, c.timeout, sources)
		}
		if err != nil {
			return nil, usageError{err}
		}
		if err := lookup(host); err != nil {
			return nil, err
		}
		// TLS over WebSocket and BOSH is the URL's (wss://, https://): never STARTTLS.
		cfg.Transport, cfg.Target, cfg.TLS = tr, c.url, mob.TLSNone
		if err := cfg.Validate(); err != nil {
			return nil, usageError{err}
		}
		return cfg, nil
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return nil, usageError{fmt.Errorf("--addr %q: %w", c.addr, err)}
	}
	if err := lookup(host); err != nil {
		return nil, err
	}
	cfg.Transport = &mob.TCP{Addr: c.addr, Mode: mode, TLS: tlsCfg, Timeout: c.timeout, Sources: sources}
	cfg.Target = c.addr
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// parseGroups reads --tls-groups; nil means Go's defaults.
func parseGroups(s string) ([]tls.CurveID, error) {
	if s == "default" || s == "" {
		return nil, nil
	}
	names := map[string]tls.CurveID{"x25519": tls.X25519, "p256": tls.CurveP256, "p384": tls.CurveP384,
		"p521": tls.CurveP521, "x25519mlkem768": tls.X25519MLKEM768}
	var out []tls.CurveID
	for n := range strings.SplitSeq(s, ",") {
		id, ok := names[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return nil, fmt.Errorf("--tls-groups: unknown group %q", n)
		}
		out = append(out, id)
	}
	return out, nil
}
