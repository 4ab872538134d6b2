package httpx_test

import (
	"net/http/httptest"
	"testing"

	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
)

func TestOriginsCheck(t *testing.T) {
	listed := []string{"https://chat.example.com", "https://*.apps.example.com", "Desk.Example.org"}
	tests := []struct {
		name    string
		config  []string
		origin  string
		want    httpx.OriginVerdict
		cookies bool
	}{
		{"no Origin: not a browser page", nil, "", httpx.OriginAbsent, true},
		{"same host", nil, "https://xmpp.example.com", httpx.OriginSame, true},
		{"same host, other case", nil, "https://XMPP.example.com", httpx.OriginSame, true},
		{"same host, other port", nil, "https://xmpp.example.com:8443", httpx.OriginRefused, false},
		{"foreign, nothing configured", nil, "https://evil.example", httpx.OriginRefused, false},
		{"listed origin", listed, "https://chat.example.com", httpx.OriginListed, true},
		{"listed origin, other scheme", listed, "http://chat.example.com", httpx.OriginRefused, false},
		{"pattern", listed, "https://a.apps.example.com", httpx.OriginListed, true},
		{"pattern needs a subdomain", listed, "https://apps.example.com", httpx.OriginRefused, false},
		{"bare host, any scheme", listed, "http://desk.example.org", httpx.OriginListed, true},
		{"foreign, listed config", listed, "https://evil.example", httpx.OriginRefused, false},
		{"foreign under *: in, without cookies", []string{"*"}, "https://evil.example", httpx.OriginAny, false},
		{"listed wins over *", []string{"*", "https://chat.example.com"}, "https://chat.example.com", httpx.OriginListed, true},
		{"null origin", nil, "null", httpx.OriginRefused, false},
		{"null origin under *", []string{"*"}, "null", httpx.OriginAny, false},
		{"lookalike suffix", listed, "https://chat.example.com.evil.example", httpx.OriginRefused, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://xmpp.example.com/http-bind", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			v := httpx.NewOrigins(tt.config).Check(r)
			if v != tt.want {
				t.Errorf("Check = %d, want %d", v, tt.want)
			}
			if v.Allowed() != (tt.want != httpx.OriginRefused) {
				t.Errorf("Allowed = %v", v.Allowed())
			}
			if v.Cookies() != tt.cookies {
				t.Errorf("Cookies = %v, want %v", v.Cookies(), tt.cookies)
			}
		})
	}
}
