package auth

import (
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// RateLimit bounds failed logins. After PerIP failures from one address,
// or PerAccount failures for one account, within Window, further attempts
// from that address or for that account fail with not-authorized without
// checking anything until the window ends. The client is never told why;
// the log says so once per window and key.
type RateLimit struct {
	// PerIP is the failures allowed per remote address per window; 0
	// disables the limit.
	PerIP int
	// PerAccount is the failures allowed per account (host and
	// localpart) per window; 0 disables the limit.
	PerAccount int
	// Window is how long failures are counted; 0 means one minute.
	Window time.Duration
}

// maxLimiterKeys bounds the limiter's memory: past it, expired entries
// are swept, and if none expired the oldest window is dropped.
const maxLimiterKeys = 100_000

type limitEntry struct {
	failures int
	until    time.Time // end of the window
	logged   bool
}

// limiter counts failures per key ("ip:..." and "acct:...").
type limiter struct {
	cfg RateLimit
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*limitEntry
}

func newLimiter(cfg RateLimit, log *slog.Logger) *limiter {
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	return &limiter{cfg: cfg, log: log, now: time.Now, entries: make(map[string]*limitEntry)}
}

func (l *limiter) enabled() bool { return l.cfg.PerIP > 0 || l.cfg.PerAccount > 0 }

func ipKey(ip netip.Addr) string { return "ip:" + ip.String() }

// acctKey names an account after normalizing it as c2s does, so "Alice"
// and "alice", or an authzid and the localpart a backend returned, count
// against one limit.
func acctKey(host, user string) string {
	if local, domain, ok := normalizeUser(user, host); ok {
		return "acct:" + local + "@" + domain
	}
	return "acct:" + user + "@" + strings.ToLower(host)
}

// blocked reports whether ip or the account is over its limit, and logs
// the first refusal of each window.
func (l *limiter) blocked(ip netip.Addr, host, user string) bool {
	if !l.enabled() {
		return false
	}
	acct := l.acct(host, user) // PRECIS outside the lock
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.cfg.PerIP > 0 && ip.IsValid() && l.over(ipKey(ip), l.cfg.PerIP, now, "ip", ip.String()) {
		return true
	}
	if acct != "" && l.over(acct, l.cfg.PerAccount, now, "account", user+"@"+host) {
		return true
	}
	return false
}

// acct is the key of the account's limit, "" when there is none to apply.
func (l *limiter) acct(host, user string) string {
	if l.cfg.PerAccount <= 0 || user == "" {
		return ""
	}
	return acctKey(host, user)
}

func (l *limiter) over(key string, limit int, now time.Time, kind, who string) bool {
	e := l.entries[key]
	if e == nil || now.After(e.until) || e.failures < limit {
		return false
	}
	if !e.logged {
		e.logged = true
		l.log.Warn("authentication rate limited: too many failed attempts",
			"by", kind, kind, who, "failures", e.failures, "until", e.until.UTC().Format(time.RFC3339))
	}
	return true
}

// failed records one failure for ip and for the account.
func (l *limiter) failed(ip netip.Addr, host, user string) {
	if !l.enabled() {
		return
	}
	acct := l.acct(host, user)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.entries) >= maxLimiterKeys {
		l.sweep(now)
	}
	if l.cfg.PerIP > 0 && ip.IsValid() {
		l.bump(ipKey(ip), now)
	}
	if acct != "" {
		l.bump(acct, now)
	}
}

func (l *limiter) bump(key string, now time.Time) {
	e := l.entries[key]
	if e == nil || now.After(e.until) {
		e = &limitEntry{until: now.Add(l.cfg.Window)}
		l.entries[key] = e
	}
	e.failures++
}

func (l *limiter) sweep(now time.Time) {
	for k, e := range l.entries {
		if now.After(e.until) {
			delete(l.entries, k)
		}
	}
	if len(l.entries) >= maxLimiterKeys {
		clear(l.entries)
	}
}
