package config

import (
	"strings"
	"testing"
	"time"
)

func TestWebKeys(t *testing.T) {
	tests := []struct {
		name, file string
		wantErr    string
		check      func(*Config) bool
	}{
		{"defaults", "", "", func(c *Config) bool {
			h := c.Listen.HTTP
			return !h.DemoPage && h.WebSocket.Enabled && h.WebSocket.Path == "/xmpp-websocket" &&
				h.BOSH.Path == "/http-bind" && h.BOSH.MaxWait.D() == time.Minute && h.BOSH.MaxHold == 1
		}},
		{"set", "[listen.http]\ndemo_page = true\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n[listen.http.bosh]\nmax_hold = 2\npolling = \"1s\"\n", "",
			func(c *Config) bool {
				h := c.Listen.HTTP
				return h.DemoPage && len(h.TrustedProxies) == 2 && h.BOSH.MaxHold == 2 && h.BOSH.Polling.D() == time.Second && h.BOSH.MaxRequests == 2
			}},
		{"bad proxy", "[listen.http]\ntrusted_proxies = [\"proxy.example\"]\n", "meerkat.toml:2: listen.http.trusted_proxies[0]: must be an IP address or a CIDR prefix", nil},
		{"bad path", "[listen.http.bosh]\npath = \"http-bind\"\n", "meerkat.toml:2: listen.http.bosh.path: must be a path below /", nil},
		{"bad see-other", "[listen.http.websocket]\nsee_other_uri = \"http://x\"\n", "listen.http.websocket.see_other_uri: must be a ws:// or wss:// URL", nil},
		{"no requests", "[listen.http.bosh]\nmax_requests = 0\n", "listen.http.bosh.max_requests", nil},
		{"short wait", "[listen.http.bosh]\nmax_wait = \"10ms\"\n", "listen.http.bosh.max_wait: must be at least", nil},
		{"unknown key", "[listen.http.bosh]\nmax_wiat = \"10s\"\n", "max_wiat", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("meerkat.toml", []byte(tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("values: %+v", c.Listen.HTTP)
			}
		})
	}
}
