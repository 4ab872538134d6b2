package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/api"
	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

// FuzzRequest sends arbitrary methods, paths and bodies, authenticated,
// to the API over a real router and SQLite store: every answer must be
// one of the documented ones, and every error a JSON body with a
// documented code other than internal_error.
func FuzzRequest(f *testing.F) {
	srv := servertest.Start(f, servertest.Options{})
	h := api.NewV1(api.V1Options{
		Router: srv.Router, Users: srv.Store, Hosts: []string{servertest.Host},
		Auth:         api.NewAuthenticator(api.AuthConfig{Tokens: []string{testToken}}),
		MaxBodyBytes: 2048,
	})
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
	for _, s := range []struct {
		m    byte
		path string
		body string
	}{
		{1, "/api/v1/messages", `{"to":"bob@localhost","body":"hi"}`},
		{1, "/api/v1/messages", `{"from":"alice@localhost","to":"bob@localhost/x","subject":"s","type":"headline"}`},
		{1, "/api/v1/users", `{"jid":"new@localhost","password":"pw"}`},
		{2, "/api/v1/users/new@localhost/password", `{"password":"pw2"}`},
		{3, "/api/v1/users/new@localhost", ``},
		{0, "/api/v1/sessions", ``},
		{0, "/api/v1/users", ``},
		{1, "/api/v1/rooms/r@conference.localhost/messages", `{"body":"x"}`},
		{1, "/api/v1/messages", `{"to":"\u0000@localhost","body":"\ud800"}`},
	} {
		f.Add(s.m, s.path, []byte(s.body))
	}
	codes := api.Codes()
	f.Fuzz(func(t *testing.T, m byte, path string, body []byte) {
		u, err := url.Parse(path)
		if err != nil || !strings.HasPrefix(u.Path, "/api/") { // NewV1 is mounted at /api/
			return
		}
		req := &http.Request{
			Method: methods[int(m)%len(methods)], URL: u, Header: http.Header{"Authorization": {"Bearer " + testToken}},
			Body: io.NopCloser(bytes.NewReader(body)), Host: "localhost", RequestURI: path,
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			return // the mux cleaning an unclean path
		case http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent:
			return
		}
		var eb struct{ Error *api.Error }
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error == nil {
			t.Fatalf("%s %q: %d with body %q", req.Method, path, rec.Code, rec.Body.Bytes())
		}
		if !slices.Contains(codes, eb.Error.Code) || eb.Error.Code == api.CodeInternal || eb.Error.Code.Status() != rec.Code {
			t.Fatalf("%s %q: %d %+v", req.Method, path, rec.Code, eb.Error)
		}
	})
}
