package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/api"
	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/modules/offline"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const (
	testToken  = "test-token-0123456789abcdef"
	testSecret = "test-secret-0123456789abcdef"
)

// rig is a real core (router, c2s on 127.0.0.1:0, SQLite, the offline
// module) with the API on a real HTTP server on 127.0.0.1:0.
type rig struct {
	srv   *servertest.Server
	url   string
	reg   *prometheus.Registry
	token *api.Client
	sign  *api.Client
}

type fakeRooms struct {
	mu    sync.Mutex
	posts []string
}

func (f *fakeRooms) PostToRoom(_ context.Context, room jid.JID, nick, body string) error {
	if room.Localpart() == "missing" {
		return api.ErrRoomNotFound
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, room.String()+"|"+nick+"|"+body)
	return nil
}

func startRig(t *testing.T, rooms api.RoomPoster) *rig {
	t.Helper()
	m, err := offline.New(offline.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := servertest.StartModules(t, m)
	reg := prometheus.NewRegistry()
	h := api.NewHandler(api.Options{API: api.NewV1(api.V1Options{
		Router: s.Router, Users: s.Store, Rooms: rooms, Hosts: []string{servertest.Host},
		Auth:            api.NewAuthenticator(api.AuthConfig{Tokens: []string{"another-token-zzzzzzzzzz", testToken}, Secret: []byte(testSecret)}),
		SCRAMIterations: 4096, MaxBodyBytes: 4096, Registerer: reg,
	})})
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &rig{srv: s, url: hs.URL, reg: reg,
		token: &api.Client{BaseURL: hs.URL, Token: testToken},
		sign:  &api.Client{BaseURL: hs.URL, Secret: []byte(testSecret)},
	}
}

// raw sends a request with the given headers and returns status and decoded error code.
func (g *rig) raw(t *testing.T, method, path, body string, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, g.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var eb struct {
		Error *api.Error `json:"error"`
	}
	if resp.StatusCode >= 300 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: error with Content-Type %q", method, path, ct)
		}
		if err := json.Unmarshal(data, &eb); err != nil || eb.Error == nil || eb.Error.Message == "" {
			t.Fatalf("%s %s: %d with a body that is not a JSON error: %q", method, path, resp.StatusCode, data)
		}
		return resp.StatusCode, string(eb.Error.Code)
	}
	return resp.StatusCode, ""
}

// online logs user in with resource, sends available presence with
// priority, and waits until the router sees it.
func (g *rig) online(t *testing.T, user, resource string, priority int) *xmpptest.Client {
	t.Helper()
	c := g.srv.Login(t, user, resource)
	c.Send(fmt.Sprintf("<presence><priority>%d</priority></presence>", priority))
	full, _ := jid.Parse(user + "@" + servertest.Host + "/" + resource)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		for _, x := range g.srv.Router.Resources(full.Bare()) {
			if x.JID.Equal(full) && x.Available {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became available", full)
		}
	}
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func isMessage(from, body string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("from") == from && el.ChildText("jabber:client", "body") == body
	}
}

func apiCode(err error) api.Code {
	var e *api.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestSendMessage(t *testing.T) {
	g := startRig(t, nil)
	ctx := context.Background()
	bob := g.online(t, "bob", "phone", 0)

	// From the service JID (the first host), with a bearer token.
	if _, err := g.token.SendMessage(ctx, api.MessageRequest{To: "bob@localhost", Body: "hello from the backend"}); err != nil {
		t.Fatal(err)
	}
	el := bob.Expect(isMessage("localhost", "hello from the backend"))
	if el.Attr("type") != "chat" || el.Attr("to") != "bob@localhost" {
		t.Errorf("message %s", el)
	}
	// From a user, signed, to a full JID, with markup that must be escaped.
	body := `<b>&"quoted"</b>`
	if _, err := g.sign.SendMessage(ctx, api.MessageRequest{From: "alice@localhost", To: "bob@localhost/phone", Body: body, Type: "normal", ID: "m1"}); err != nil {
		t.Fatal(err)
	}
	el = bob.Expect(isMessage("alice@localhost", body))
	if el.Attr("id") != "m1" || el.Attr("type") != "normal" {
		t.Errorf("message %s", el)
	}

	// To an offline user: offline storage, delivered at login.
	if _, err := g.token.SendMessage(ctx, api.MessageRequest{To: "carol@localhost", Body: "while you were out"}); err != nil {
		t.Fatal(err)
	}
	carol := g.online(t, "carol", "laptop", 0)
	carol.Expect(isMessage("localhost", "while you were out"))

	for _, tc := range []struct {
		name string
		req  api.MessageRequest
		code api.Code
	}{
		{"no to", api.MessageRequest{Body: "x"}, api.CodeInvalidRequest},
		{"no body", api.MessageRequest{To: "bob@localhost"}, api.CodeInvalidRequest},
		{"bad type", api.MessageRequest{To: "bob@localhost", Body: "x", Type: "groupchat"}, api.CodeInvalidRequest},
		{"bad to", api.MessageRequest{To: "@@", Body: "x"}, api.CodeInvalidJID},
		{"bad from", api.MessageRequest{From: "a@b@c", To: "bob@localhost", Body: "x"}, api.CodeInvalidJID},
		{"foreign from", api.MessageRequest{From: "eve@evil.example", To: "bob@localhost", Body: "x"}, api.CodeUnknownHost},
		{"unknown from", api.MessageRequest{From: "nobody@localhost", To: "bob@localhost", Body: "x"}, api.CodeUserNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := g.token.SendMessage(ctx, tc.req); apiCode(err) != tc.code {
				t.Fatalf("err %v, want code %s", err, tc.code)
			}
		})
	}
	// Nothing of the refused requests reached bob.
	if _, err := g.token.SendMessage(ctx, api.MessageRequest{To: "bob@localhost", Body: "last"}); err != nil {
		t.Fatal(err)
	}
	if el := bob.Expect(func(el *stream.Element) bool { return el.Local == "message" }); el.ChildText("jabber:client", "body") != "last" {
		t.Errorf("bob got %s, want only the last message", el)
	}
}

func TestUserLifecycle(t *testing.T) {
	g := startRig(t, nil)
	ctx := context.Background()
	login := func(user, pw string) (*xmpptest.Client, error) {
		return xmpptest.Connect(t, g.srv.Addr, xmpptest.Options{User: user, Password: pw, Mech: "SCRAM-SHA-256"})
	}
	got, err := g.token.CreateUser(ctx, "Dave@localhost", "first password")
	if err != nil || got != "dave@localhost" {
		t.Fatalf("create: %q, %v", got, err)
	}
	if _, err := g.token.CreateUser(ctx, "dave@localhost", "x"); apiCode(err) != api.CodeUserExists {
		t.Fatalf("create twice: %v", err)
	}
	dave, err := login("dave", "first password")
	if err != nil {
		t.Fatalf("login after create: %v", err)
	}
	dave.Send("<presence/>")
	users, err := g.sign.Users(ctx, "")
	if err != nil || strings.Join(users, ",") != "alice@localhost,bob@localhost,carol@localhost,dave@localhost" {
		t.Fatalf("users %v, %v", users, err)
	}

	if err := g.sign.SetPassword(ctx, "dave@localhost", "second password"); err != nil {
		t.Fatal(err)
	}
	if _, err := login("dave", "first password"); err == nil {
		t.Fatal("old password still works")
	}
	if c, err := login("dave", "second password"); err != nil {
		t.Fatalf("new password: %v", err)
	} else {
		c.Close()
	}

	// Another user's session is not touched by any of this.
	alice := g.online(t, "alice", "desk", 0)
	if err := g.token.DeleteUser(ctx, "dave@localhost"); err != nil {
		t.Fatal(err)
	}
	dave.ExpectStreamError("not-authorized")
	if _, err := login("dave", "second password"); err == nil {
		t.Fatal("deleted user logs in")
	}
	if err := g.token.DeleteUser(ctx, "dave@localhost"); apiCode(err) != api.CodeUserNotFound {
		t.Fatalf("delete twice: %v", err)
	}
	if err := g.token.SetPassword(ctx, "dave@localhost", "x"); apiCode(err) != api.CodeUserNotFound {
		t.Fatalf("passwd of deleted user: %v", err)
	}
	for _, bad := range []struct{ jid, code string }{
		{"dave", string(api.CodeInvalidJID)},
		{"dave@localhost/res", string(api.CodeInvalidJID)},
		{"dave@elsewhere.example", string(api.CodeUnknownHost)},
	} {
		if _, err := g.token.CreateUser(ctx, bad.jid, "pw"); string(apiCode(err)) != bad.code {
			t.Errorf("create %q: %v, want %s", bad.jid, err, bad.code)
		}
	}
	if _, err := g.token.CreateUser(ctx, "erin@localhost", ""); apiCode(err) != api.CodeInvalidRequest {
		t.Errorf("empty password: %v", err)
	}
	if _, err := g.token.SendMessage(ctx, api.MessageRequest{To: "alice@localhost", Body: "still here"}); err != nil {
		t.Fatal(err)
	}
	alice.Expect(isMessage("localhost", "still here"))
}

func TestSessions(t *testing.T) {
	g := startRig(t, nil)
	ctx := context.Background()
	g.online(t, "alice", "desk", 5)
	bob := g.srv.Login(t, "bob", "phone")
	list, err := g.token.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []api.Session{{JID: "alice@localhost/desk", Available: true, Priority: 5}, {JID: "bob@localhost/phone"}}
	if fmt.Sprint(list) != fmt.Sprint(want) {
		t.Fatalf("sessions %+v, want %+v", list, want)
	}
	var only api.SessionList
	if err := g.token.Do(ctx, http.MethodGet, "/api/v1/sessions?user=bob@localhost", nil, &only); err != nil || len(only.Sessions) != 1 || only.Sessions[0].JID != "bob@localhost/phone" {
		t.Fatalf("filtered: %+v, %v", only, err)
	}
	bob.Close()
}

func TestRoomMessages(t *testing.T) {
	g := startRig(t, nil)
	ctx := context.Background()
	if _, err := g.token.PostToRoom(ctx, "lobby@conference.localhost", api.RoomMessageRequest{Body: "hi"}); apiCode(err) != api.CodeNotImplemented {
		t.Fatalf("without MUC: %v, want not_implemented", err)
	}
	if code, c := g.raw(t, "POST", "/api/v1/rooms/lobby@conference.localhost/messages", `{"body":"hi"}`, bearer(testToken)); code != 501 || c != "not_implemented" {
		t.Fatalf("without MUC: %d %s", code, c)
	}

	rooms := &fakeRooms{}
	g = startRig(t, rooms)
	if _, err := g.token.PostToRoom(ctx, "lobby@conference.localhost", api.RoomMessageRequest{Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.token.PostToRoom(ctx, "lobby@conference.localhost", api.RoomMessageRequest{Body: "hey", Nick: "Bot"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.token.PostToRoom(ctx, "missing@conference.localhost", api.RoomMessageRequest{Body: "hi"}); apiCode(err) != api.CodeRoomNotFound {
		t.Fatalf("missing room: %v", err)
	}
	if _, err := g.token.PostToRoom(ctx, "conference.localhost", api.RoomMessageRequest{Body: "hi"}); apiCode(err) != api.CodeInvalidJID {
		t.Fatalf("service as room: %v", err)
	}
	if got := strings.Join(rooms.posts, ";"); got != "lobby@conference.localhost|localhost|hi;lobby@conference.localhost|Bot|hey" {
		t.Fatalf("posts %q", got)
	}
}

func TestAuthAndErrors(t *testing.T) {
	g := startRig(t, nil)
	bob := g.online(t, "bob", "phone", 0)
	now := time.Now().Unix()
	signed := func(ts int64, method, uri, body string) map[string]string {
		return map[string]string{
			api.HeaderTimestamp: fmt.Sprint(ts),
			api.HeaderSignature: api.Sign([]byte(testSecret), ts, method, uri, []byte(body)),
		}
	}
	msg := `{"to":"bob@localhost","body":"signed"}`
	replayed := signed(now, "POST", "/api/v1/messages", msg)
	if code, c := g.raw(t, "POST", "/api/v1/messages", msg, replayed); code != 202 {
		t.Fatalf("signed request: %d %s", code, c)
	}
	bob.Expect(isMessage("localhost", "signed"))
	wrongSecret := map[string]string{api.HeaderTimestamp: fmt.Sprint(now), api.HeaderSignature: api.Sign([]byte("other secret"), now, "POST", "/api/v1/messages", []byte(msg))}
	otherRoute := signed(now, "GET", "/api/v1/sessions", "")
	tooBig := strings.Repeat(" ", 5000) + msg

	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code                     string
	}{
		{"no credentials", "GET", "/api/v1/sessions", "", nil, 401, "missing_credentials"},
		{"bad bearer", "GET", "/api/v1/sessions", "", bearer("wrong-token"), 401, "invalid_token"},
		{"empty bearer", "GET", "/api/v1/sessions", "", map[string]string{"Authorization": "Bearer "}, 401, "invalid_token"},
		{"basic auth", "GET", "/api/v1/sessions", "", map[string]string{"Authorization": "Basic YTpi"}, 401, "invalid_token"},
		{"bad signature", "POST", "/api/v1/messages", msg, wrongSecret, 401, "invalid_signature"},
		{"malformed signature", "POST", "/api/v1/messages", msg, map[string]string{api.HeaderTimestamp: fmt.Sprint(now), api.HeaderSignature: "md5=abc"}, 401, "invalid_signature"},
		{"body changed", "POST", "/api/v1/messages", `{"to":"bob@localhost","body":"forged"}`, signed(now, "POST", "/api/v1/messages", msg), 401, "invalid_signature"},
		{"signature moved to another route", "DELETE", "/api/v1/users/bob@localhost", "", otherRoute, 401, "invalid_signature"},
		{"no timestamp", "POST", "/api/v1/messages", msg, map[string]string{api.HeaderSignature: replayed[api.HeaderSignature]}, 401, "invalid_timestamp"},
		{"expired timestamp", "POST", "/api/v1/messages", msg, signed(now-3600, "POST", "/api/v1/messages", msg), 401, "expired_timestamp"},
		{"future timestamp", "POST", "/api/v1/messages", msg, signed(now+3600, "POST", "/api/v1/messages", msg), 401, "expired_timestamp"},
		{"replayed signature", "POST", "/api/v1/messages", msg, replayed, 401, "replayed_signature"},
		{"bad JSON", "POST", "/api/v1/messages", `{"to":`, bearer(testToken), 400, "invalid_json"},
		{"unknown field", "POST", "/api/v1/messages", `{"to":"bob@localhost","body":"x","bdy":"y"}`, bearer(testToken), 400, "invalid_json"},
		{"two values", "POST", "/api/v1/messages", `{"to":"bob@localhost","body":"x"} {}`, bearer(testToken), 400, "invalid_json"},
		{"array", "POST", "/api/v1/messages", `[1]`, bearer(testToken), 400, "invalid_json"},
		{"too large", "POST", "/api/v1/messages", tooBig, bearer(testToken), 413, "body_too_large"},
		{"unknown endpoint", "GET", "/api/v1/nope", "", bearer(testToken), 404, "not_found"},
		{"unknown version", "GET", "/api/v2/sessions", "", bearer(testToken), 404, "not_found"},
		{"wrong method", "DELETE", "/api/v1/sessions", "", bearer(testToken), 405, "method_not_allowed"},
		{"unknown endpoint needs auth first", "GET", "/api/v1/nope", "", nil, 401, "missing_credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, code := g.raw(t, tc.method, tc.path, tc.body, tc.hdr)
			if status != tc.status || code != tc.code {
				t.Fatalf("%d %s, want %d %s", status, code, tc.status, tc.code)
			}
		})
	}
	// None of it reached bob, whose session still works.
	if _, err := g.token.SendMessage(context.Background(), api.MessageRequest{To: "bob@localhost", Body: "after"}); err != nil {
		t.Fatal(err)
	}
	if el := bob.Expect(func(el *stream.Element) bool { return el.Local == "message" }); el.ChildText("jabber:client", "body") != "after" {
		t.Fatalf("bob got %s", el)
	}
	if n := servertest.Counter(t, g.reg, "meerkat_api_auth_failures_total", map[string]string{"reason": "replayed_signature"}); n != 1 {
		t.Errorf("replayed_signature failures = %v, want 1", n)
	}
	if n := servertest.Counter(t, g.reg, "meerkat_api_requests_total", map[string]string{"path": "/api/v1/messages", "code": "202"}); n != 2 {
		t.Errorf("accepted messages = %v, want 2", n)
	}
	guide, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	servertest.CheckMetricDocs(t, g.reg, "api", string(guide))
}

// TestReplayCacheBound checks that a full replay cache refuses new
// signatures with busy, and takes them again once entries expire.
func TestReplayCacheBound(t *testing.T) {
	clock := time.Unix(1_800_000_000, 0)
	a := api.NewAuthenticator(api.AuthConfig{Secret: []byte(testSecret), Window: time.Minute, MaxReplayEntries: 2, Now: func() time.Time { return clock }})
	check := func(body string) api.Code {
		ts := clock.Unix()
		r := httptest.NewRequest("POST", "/api/v1/messages", nil)
		r.Header.Set(api.HeaderTimestamp, fmt.Sprint(ts))
		r.Header.Set(api.HeaderSignature, api.Sign([]byte(testSecret), ts, "POST", "/api/v1/messages", []byte(body)))
		code, _ := a.Check(r, []byte(body))
		return code
	}
	if check("a") != "" || check("b") != "" {
		t.Fatal("fresh signatures refused")
	}
	if c := check("c"); c != api.CodeBusy {
		t.Fatalf("third signature: %q, want busy", c)
	}
	clock = clock.Add(2 * time.Minute)
	if c := check("c"); c != "" {
		t.Fatalf("after expiry: %q", c)
	}
}

func TestClientSignsWithSecret(t *testing.T) {
	g := startRig(t, nil)
	var seen bytes.Buffer
	// The signing client sends twice in one second: the bodies differ, so the signatures do.
	for i := range 2 {
		if _, err := g.sign.SendMessage(context.Background(), api.MessageRequest{To: "bob@localhost", Body: fmt.Sprint("n", i)}); err != nil {
			t.Fatal(err)
		}
		seen.WriteString("ok")
	}
	if seen.String() != "okok" {
		t.Fatal(seen.String())
	}
}

// TestConcurrentSignedRequests sends signed requests from many goroutines:
// distinct ones all pass, and one signature sent eight times at once
// passes exactly once.
func TestConcurrentSignedRequests(t *testing.T) {
	g := startRig(t, nil)
	bob := g.online(t, "bob", "phone", 0)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := g.sign.SendMessage(context.Background(), api.MessageRequest{To: "bob@localhost", Body: fmt.Sprint(w, "-", i)}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for range workers * each {
		bob.Expect(func(el *stream.Element) bool { return el.Local == "message" })
	}

	msg := `{"to":"bob@localhost","body":"once"}`
	ts := time.Now().Unix()
	hdr := map[string]string{api.HeaderTimestamp: fmt.Sprint(ts), api.HeaderSignature: api.Sign([]byte(testSecret), ts, "POST", "/api/v1/messages", []byte(msg))}
	var mu sync.Mutex
	got := map[string]int{}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, code := g.raw(t, "POST", "/api/v1/messages", msg, hdr)
			mu.Lock()
			got[fmt.Sprintf("%d %s", status, code)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if got["202 "] != 1 || got["401 replayed_signature"] != workers-1 {
		t.Fatalf("answers %v, want one 202 and %d replayed_signature", got, workers-1)
	}
	bob.Expect(isMessage("localhost", "once"))
}
