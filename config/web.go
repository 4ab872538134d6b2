package config

import (
	"net/netip"
	"strings"
	"time"
)

// WebSocket is the [listen.http.websocket] table: XMPP over WebSocket
// (RFC 7395).
type WebSocket struct {
	// Enabled serves WebSocket. Key: enabled. Default: true.
	Enabled bool `toml:"enabled"`
	// Path is the URL path. Key: path. Default: "/xmpp-websocket".
	Path string `toml:"path"`
	// PingInterval is how often an idle connection is pinged; "0s" never.
	// Key: ping_interval. Default: "30s".
	PingInterval Duration `toml:"ping_interval"`
	// PingTimeout is how long a pong may take before the connection is
	// dropped. Key: ping_timeout. Default: "30s".
	PingTimeout Duration `toml:"ping_timeout"`
	// SeeOtherURI, when set, sends every client to this ws:// or wss://
	// URL instead (RFC 7395 see-other-uri). Key: see_other_uri. Default: "".
	SeeOtherURI string `toml:"see_other_uri"`
}

// BOSH is the [listen.http.bosh] table: XMPP over BOSH (XEP-0124,
// XEP-0206).
type BOSH struct {
	// Enabled serves BOSH. Key: enabled. Default: true.
	Enabled bool `toml:"enabled"`
	// Path is the URL path. Key: path. Default: "/http-bind".
	Path string `toml:"path"`
	// MaxWait caps the time a request is held. Key: max_wait. Default: "60s".
	MaxWait Duration `toml:"max_wait"`
	// MaxHold caps the requests held at once. Key: max_hold. Default: 1.
	MaxHold int `toml:"max_hold"`
	// MaxRequests caps the requests a client may have open. Key:
	// max_requests. Default: 2.
	MaxRequests int `toml:"max_requests"`
	// Inactivity ends a session with no request for this long. Key:
	// inactivity. Default: "60s".
	Inactivity Duration `toml:"inactivity"`
	// Polling is the shortest interval allowed between empty polls. Key:
	// polling. Default: "2s".
	Polling Duration `toml:"polling"`
}

// setWebDefaults fills the defaults of the web keys of [listen.http].
func (h *HTTP) setWebDefaults() {
	*h = HTTP{Address: h.Address, Enabled: h.Enabled, TrustedProxies: []string{}, CORSOrigins: []string{},
		WebSocket: WebSocket{Enabled: true, Path: "/xmpp-websocket",
			PingInterval: Duration(30 * time.Second), PingTimeout: Duration(30 * time.Second)},
		BOSH: BOSH{Enabled: true, Path: "/http-bind", MaxWait: Duration(60 * time.Second), MaxHold: 1,
			MaxRequests: 2, Inactivity: Duration(60 * time.Second), Polling: Duration(2 * time.Second)},
	}
}

func (r *reporter) web(w *HTTP) {
	for i, p := range w.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			r.fail(indexKey("listen.http.trusted_proxies", i), "must be an IP address or a CIDR prefix (got %q)", p)
		}
	}
	for key, p := range map[string]string{"listen.http.websocket.path": w.WebSocket.Path, "listen.http.bosh.path": w.BOSH.Path} {
		if !strings.HasPrefix(p, "/") || p == "/" {
			r.fail(key, "must be a path below /, such as \"/xmpp-websocket\" (got %q)", p)
		}
	}
	if u := w.WebSocket.SeeOtherURI; u != "" && !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
		r.fail("listen.http.websocket.see_other_uri", "must be a ws:// or wss:// URL (got %q)", u)
	}
	r.atLeast("listen.http.bosh.max_hold", w.BOSH.MaxHold, 0, "")
	r.atLeast("listen.http.bosh.max_requests", w.BOSH.MaxRequests, 1, "")
	if w.BOSH.MaxWait.D() < time.Second {
		r.fail("listen.http.bosh.max_wait", "must be at least \"1s\"")
	}
	if w.BOSH.Inactivity.D() < time.Second {
		r.fail("listen.http.bosh.inactivity", "must be at least \"1s\"")
	}
}
