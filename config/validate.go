package config

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks every value of the configuration: required keys, ranges,
// allowed values, and settings that only make sense together. It lowercases
// general.hosts. Load and Parse call it; call it again after changing a
// Config in code.
//
// The error, if any, is an Errors listing every problem. When the Config
// came from a file, each problem names the line of the offending key (or
// of its table, for a missing key); problems in default values, or in a
// Config built in code, have no line.
func (c *Config) Validate() error {
	r := reporter{file: c.Path, pos: c.pos}
	r.general(&c.General)
	r.listen(&c.Listen)
	r.auth(&c.Auth, c.General.Hosts)
	r.storage(&c.Storage)
	r.tls(&c.TLS)
	r.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	r.oneOf("log.format", c.Log.Format, "text", "json")
	r.api(&c.API, c)
	return orNil(r.errs)
}

func (r *reporter) api(a *API, c *Config) {
	for i, t := range a.Tokens {
		if len(t) < 16 {
			r.fail(indexKey("api.tokens", i), "must be at least 16 characters")
		}
	}
	if a.HMACSecret != "" && len(a.HMACSecret) < 16 {
		r.fail("api.hmac_secret", "must be at least 16 characters")
	}
	if a.HMACSecret != "" && a.HMACSecretFile != "" {
		r.fail("api.hmac_secret_file", "set api.hmac_secret or api.hmac_secret_file, not both")
	}
	if a.TimestampWindow < Duration(time.Second) || a.TimestampWindow > Duration(time.Hour) {
		r.fail("api.timestamp_window", "must be from 1s to 1h")
	}
	r.atLeast("api.max_body_bytes", a.MaxBodyBytes, 1024, "")
	if s := a.ServiceJID; s != "" {
		domain := s
		if i := strings.IndexByte(domain, '@'); i >= 0 {
			domain = domain[i+1:]
		}
		if i := strings.IndexByte(domain, '/'); i >= 0 {
			domain = domain[:i]
		}
		if !slices.Contains(c.General.Hosts, strings.ToLower(domain)) {
			r.fail("api.service_jid", "%q is not on a served host (general.hosts)", s)
		}
	}
	if a.Enabled {
		if len(a.Tokens) == 0 && a.TokenFile == "" && a.HMACSecret == "" && a.HMACSecretFile == "" {
			r.fail("api.enabled", "needs api.tokens, api.token_file, api.hmac_secret or api.hmac_secret_file")
		}
		if !c.Listen.HTTP.Enabled {
			r.fail("api.enabled", "needs listen.http.enabled = true")
		}
	}
}

func (r *reporter) general(g *General) {
	if len(g.Hosts) == 0 {
		r.fail("general.hosts", "must list at least one host")
	}
	seen := map[string]int{}
	for i, h := range g.Hosts {
		key := indexKey("general.hosts", i)
		h = strings.ToLower(h)
		g.Hosts[i] = h
		if h == "" {
			r.fail(key, "must not be empty")
			continue
		}
		if reason := checkDomain(h); reason != "" {
			r.fail(key, "invalid domain %q: %s", h, reason)
			continue
		}
		if j, ok := seen[h]; ok {
			r.fail(key, "%q is already listed as general.hosts[%d]", h, j)
			continue
		}
		seen[h] = i
	}
	if g.DataDir == "" {
		r.fail("general.data_dir", "must not be empty")
	}
	if g.ShutdownGrace < 0 {
		r.fail("general.shutdown_grace", "must not be negative")
	}
	if g.MemoryTrimInterval < 0 {
		r.fail("general.memory_trim_interval", "must not be negative")
	}
	if g.GCPercent < 10 && g.GCPercent != -1 {
		r.fail("general.gc_percent", "must be at least 10, or -1 to collect only near memory_limit")
	}
	if g.GCPercent == -1 && g.MemoryLimit == MemoryLimitOff {
		r.fail("general.gc_percent", "-1 (collect only near the memory limit) needs a memory_limit other than \"off\"")
	}
}

// boundAddr is a listener address already checked, kept to find two
// listeners on one port.
type boundAddr struct {
	key  string
	host string
	port int
}

func (r *reporter) listen(l *Listen) {
	var bound []boundAddr
	for i := range l.C2S {
		c := &l.C2S[i]
		p := indexKey("listen.c2s", i)
		if c.Address == "" {
			r.fail(p+".address", "is required")
		} else if a, ok := r.address(p+".address", c.Address); ok {
			bound = r.bind(bound, a)
		}
		r.oneOf(p+".mode", c.Mode, ModeStartTLS, ModeDirect, ModePlain)
		r.atLeast(p+".max_stanza_bytes", c.MaxStanzaBytes, 1024, "")
		r.atLeast(p+".max_depth", c.MaxDepth, 1, "")
		r.atLeast(p+".max_attrs", c.MaxAttrs, 1, "")
		if c.HandshakeTimeout <= 0 {
			r.fail(p+".handshake_timeout", "must be more than 0s")
		}
		if c.IdleTimeout < 0 {
			r.fail(p+".idle_timeout", "must not be negative")
		}
		if c.ParkAfter < 0 {
			r.fail(p+".park_after", "must not be negative")
		}
		if c.MaxStanzaBytes >= 1024 {
			r.atLeast(p+".outbound_queue_bytes", c.OutboundQueueBytes, c.MaxStanzaBytes, "max_stanza_bytes")
		}
		r.atLeast(p+".max_auth_failures", c.MaxAuthFailures, 1, "")
		r.oneOf(p+".resource_conflict", c.ResourceConflict, ConflictReplace, ConflictRefuse)
	}
	if l.HTTP.Address == "" {
		if l.HTTP.Enabled {
			r.fail("listen.http.address", "is required when listen.http.enabled is true")
		}
	} else if a, ok := r.address("listen.http.address", l.HTTP.Address); ok && l.HTTP.Enabled {
		r.bind(bound, a)
	}
	r.web(&l.HTTP)
}

// address checks a host:port listener address.
func (r *reporter) address(key, addr string) (boundAddr, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		r.fail(key, "must be host:port, such as \":5222\" or \"127.0.0.1:5222\" (got %q)", addr)
		return boundAddr{}, false
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		r.fail(key, "port must be a number from 0 to 65535 (got %q)", port)
		return boundAddr{}, false
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && checkDomain(strings.ToLower(host)) != "" {
			r.fail(key, "host %q is neither an IP address nor a host name", host)
			return boundAddr{}, false
		}
	}
	return boundAddr{key: key, host: host, port: n}, true
}

// bind reports a listener whose port another one already uses, on the same
// host or on all interfaces. Port 0 (any free port) never clashes.
func (r *reporter) bind(bound []boundAddr, a boundAddr) []boundAddr {
	if a.port == 0 {
		return bound
	}
	for _, b := range bound {
		if b.port == a.port && (b.host == a.host || isWildcard(b.host) || isWildcard(a.host)) {
			owner, _ := parentKey(b.key)
			r.fail(a.key, "port %d is already used by %s (%s)", a.port, owner, net.JoinHostPort(b.host, strconv.Itoa(b.port)))
			return bound
		}
	}
	return append(bound, a)
}

func isWildcard(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::"
}

func (r *reporter) auth(a *Auth, hosts []string) {
	if len(a.Mechanisms) == 0 {
		r.fail("auth.mechanisms", "must list at least one mechanism")
	}
	supported := Mechanisms()
	seen := map[string]int{}
	for i, m := range a.Mechanisms {
		key := indexKey("auth.mechanisms", i)
		if !slices.Contains(supported, m) {
			if up := strings.ToUpper(m); slices.Contains(supported, up) {
				r.fail(key, "unknown mechanism %q (names are upper case: %q)", m, up)
			} else {
				r.fail(key, "unknown mechanism %q; supported: %s", m, strings.Join(supported, ", "))
			}
			continue
		}
		if j, ok := seen[m]; ok {
			r.fail(key, "%q is already listed as auth.mechanisms[%d]", m, j)
			continue
		}
		seen[m] = i
	}
	r.atLeast("auth.scram_iterations", a.SCRAMIterations, 4096, "")
	used := map[string]bool{}
	r.backends("auth.backends", a.Backends, used)
	for _, host := range slices.Sorted(maps.Keys(a.Hosts)) {
		key := joinKey("auth.hosts", host)
		if !slices.Contains(hosts, strings.ToLower(host)) {
			r.fail(key, "%q is not one of general.hosts", host)
		}
		r.backends(key+".backends", a.Hosts[host].Backends, used)
	}
	r.atLeast("auth.rate_limit.per_ip", a.RateLimit.PerIP, 0, "")
	r.atLeast("auth.rate_limit.per_account", a.RateLimit.PerAccount, 0, "")
	if a.RateLimit.Window.D() <= 0 {
		r.fail("auth.rate_limit.window", "must be more than 0s")
	}
	if used[BackendWordPress] {
		w := &a.WordPress
		if w.DSN == "" {
			r.fail("auth.wordpress.dsn", "required when backends list \"wordpress\"")
		}
		if strings.Trim(w.TablePrefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			r.fail("auth.wordpress.table_prefix", "only letters, digits and _")
		}
		if (w.Cookies || w.HTTPCookies) && w.WPConfig == "" && (w.LoggedInKey == "" || w.LoggedInSalt == "") {
			r.fail("auth.wordpress.logged_in_key", "cookies need logged_in_key and logged_in_salt, or wp_config")
		}
		if !w.Cookies && !w.Passwords && !w.HTTPCookies {
			r.fail("auth.wordpress.passwords", "cookies, passwords and http_cookies are all off")
		}
		r.nonNegative("auth.wordpress.cache_ttl", w.CacheTTL)
		if w.QueryTimeout.D() <= 0 {
			r.fail("auth.wordpress.query_timeout", "must be more than 0s")
		}
	}
	if used[BackendHTTP] {
		h := &a.HTTP
		if u, err := url.Parse(h.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail("auth.http.base_url", "want an http:// or https:// URL with a host, got %q", h.BaseURL)
		}
		if h.BasicAuth != "" && !strings.Contains(h.BasicAuth, ":") {
			r.fail("auth.http.basic_auth", `want "user:password"`)
		}
		if h.Timeout.D() <= 0 {
			r.fail("auth.http.timeout", "must be more than 0s")
		}
		r.atLeast("auth.http.max_conns", h.MaxConns, 1, "")
		r.nonNegative("auth.http.cache_ttl", h.CacheTTL)
	}
	if used[BackendJWT] {
		j := &a.JWT
		r.oneOf("auth.jwt.algorithm", j.Algorithm, "HS256", "RS256", "ES256")
		switch j.Algorithm {
		case "HS256":
			if (j.Secret == "") == (j.SecretFile == "") {
				r.fail("auth.jwt.secret", "HS256 needs secret or secret_file (one of them)")
			} else if j.Secret != "" && len(j.Secret) < 32 {
				r.fail("auth.jwt.secret", "must be at least 32 bytes")
			}
		case "RS256", "ES256":
			if j.PublicKeyFile == "" {
				r.fail("auth.jwt.public_key_file", "%s needs public_key_file", j.Algorithm)
			}
		}
		if j.UserClaim == "" {
			r.fail("auth.jwt.user_claim", "must not be empty")
		}
		r.nonNegative("auth.jwt.leeway", j.Leeway)
	}
}

// backends checks one list of auth backend names and marks them used.
func (r *reporter) backends(key string, list []string, used map[string]bool) {
	if len(list) == 0 {
		r.fail(key, "must list at least one backend")
	}
	for i, b := range list {
		k := indexKey(key, i)
		if !slices.Contains(AuthBackends(), b) {
			r.fail(k, "unknown backend %q; supported: %s", b, strings.Join(AuthBackends(), ", "))
			continue
		}
		if j := slices.Index(list, b); j < i {
			r.fail(k, "%q is already listed as %s", b, indexKey(key, j))
			continue
		}
		used[b] = true
	}
}

func (r *reporter) nonNegative(key string, d Duration) {
	if d.D() < 0 {
		r.fail(key, "must not be negative")
	}
}

func (r *reporter) storage(s *Storage) {
	r.oneOf("storage.backend", s.Backend, StorageSQLite, StoragePostgres)
	if s.Backend == StoragePostgres && s.Postgres.DSN == "" {
		// Without a [storage.postgres] table, point at the backend.
		at := "storage.postgres.dsn"
		if r.pos.line(at) == 0 {
			at = "storage.backend"
		}
		r.failAt(at, "storage.postgres.dsn", "is required when storage.backend is %q", StoragePostgres)
	}
	r.atLeast("storage.postgres.max_conns", s.Postgres.MaxConns, 1, "")
}

func (r *reporter) tls(t *TLS) {
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		r.fail("tls.key_file", "is required when tls.cert_file is set")
	case t.CertFile == "" && t.KeyFile != "":
		r.fail("tls.cert_file", "is required when tls.key_file is set")
	}
	r.oneOf("tls.min_version", t.MinVersion, "1.2", "1.3")
}

// oneOf reports a value that is none of the allowed ones.
func (r *reporter) oneOf(key, value string, allowed ...string) {
	if slices.Contains(allowed, value) {
		return
	}
	if len(allowed) == 1 {
		r.fail(key, "must be %s", allowed[0])
		return
	}
	r.fail(key, "must be one of %s", strings.Join(allowed, ", "))
}

// atLeast reports a number below lowest; lowestName names the setting it comes
// from, if any.
func (r *reporter) atLeast(key string, value, lowest int, lowestName string) {
	if value >= lowest {
		return
	}
	if lowestName != "" {
		r.fail(key, "must be at least %s (%d)", lowestName, lowest)
		return
	}
	r.fail(key, "must be at least %d", lowest)
}

// checkDomain returns why name (already lowercased) is not a valid domain
// for general.hosts, or "". IPv4 addresses and bracketed IPv6 addresses
// are accepted, as RFC 7622 §3.2 allows.
func checkDomain(name string) string {
	if strings.HasPrefix(name, "[") {
		inner, ok := strings.CutSuffix(name[1:], "]")
		a, err := netip.ParseAddr(inner)
		if !ok || err != nil || !a.Is6() || a.Zone() != "" {
			return "not a valid IPv6 address in brackets"
		}
		return ""
	}
	if a, err := netip.ParseAddr(name); err == nil {
		if a.Is4() {
			return ""
		}
		return fmt.Sprintf("write an IPv6 address in brackets, such as [%s]", name)
	}
	if len(name) > 253 {
		return "longer than 253 characters"
	}
	if strings.HasSuffix(name, ".") {
		return "must not end with a dot"
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return "has an empty label (two dots in a row, or a leading dot)"
		}
		if len(label) > 63 {
			return fmt.Sprintf("label %q is longer than 63 characters", label)
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Sprintf("has the character %q; only letters, digits, \"-\" and \".\" are allowed (write internationalized names in their xn-- form)", c)
			}
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Sprintf("label %q starts or ends with \"-\"", label)
		}
	}
	return ""
}
