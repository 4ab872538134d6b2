package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHostMeta(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux, Endpoints{WebSocket: "/xmpp-websocket", BOSH: "/http-bind",
		IsSecure: func(r *http.Request) bool { return r.Header.Get("X-Forwarded-Proto") == "https" }}, true)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, path, proto string
		want              []string
	}{
		{"xrd", "/.well-known/host-meta", "", []string{
			"<Link rel='urn:xmpp:alt-connections:xbosh' href='http://" + host + "/http-bind'/>",
			"<Link rel='urn:xmpp:alt-connections:websocket' href='ws://" + host + "/xmpp-websocket'/>"}},
		{"json behind a TLS proxy", "/.well-known/host-meta.json", "https", []string{
			`{"rel":"urn:xmpp:alt-connections:xbosh","href":"https://` + host + `/http-bind"}`,
			`{"rel":"urn:xmpp:alt-connections:websocket","href":"wss://` + host + `/xmpp-websocket"}`}},
		{"demo page", "/", "", []string{"<title>Meerkat chat</title>", "demo/app.js"}},
		{"demo script", "/demo/app.js", "", []string{"meerkatDemo"}},
		{"vendored client", "/demo/vendor/xmpp-client-0.14.0.min.js", "", []string{"XMPP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("%s lacks %s:\n%.500s", tt.path, w, b)
				}
			}
			if strings.HasSuffix(tt.path, ".json") && !json.Valid(b) {
				t.Errorf("invalid JSON %s", b)
			}
		})
	}
}

func TestDemoOff(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux, Endpoints{WebSocket: "/ws"}, false)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("demo page served while off: %d", rec.Code)
	}
}
