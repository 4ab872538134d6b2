package test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// TestAPIAdminCommands runs the binary with [api] on and drives it with
// the `meerkat` admin commands over the HTTP API: sessions, send, and user
// add/passwd/del against the running server, checked with XMPP clients.
func TestAPIAdminCommands(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "tokens")
	const token = "e2e-token-0123456789abcdef"
	const secret = "e2e-secret-0123456789abcdef"
	if err := os.WriteFile(tokenFile, []byte("# admin tools\n"+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startMeerkatWith(t, fmt.Sprintf("\n[api]\nenabled = true\ntoken_file = %q\nhmac_secret = %q\n", tokenFile, secret), "pw-alice", "alice@localhost")
	waitPort(t, s.http)
	apiURL := fmt.Sprintf("http://127.0.0.1:%d", s.http)
	c2s := fmt.Sprintf("127.0.0.1:%d", s.c2s)
	cli := func(env []string, stdin string, args ...string) (string, string, error) {
		cmd := exec.Command(s.bin, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	withToken := []string{"MEERKAT_API_URL=" + apiURL, "MEERKAT_API_TOKEN=" + token}
	mustCLI := func(env []string, stdin string, args ...string) string {
		t.Helper()
		out, errs, err := cli(env, stdin, args...)
		if err != nil {
			t.Fatalf("meerkat %s: %v\n%s%s", strings.Join(args, " "), err, out, errs)
		}
		return out
	}

	alice := xmpptest.Dial(t, c2s, xmpptest.Options{User: "alice", Password: "pw-alice", Mech: "SCRAM-SHA-256", Resource: "desk"})
	alice.Send("<presence/>")
	alice.Expect(func(el *stream.Element) bool { return el.Local == "presence" })

	if out := mustCLI(nil, "", "sessions", "-api", apiURL, "-token-file", tokenFile); out != "alice@localhost/desk\tavailable\t0\n" {
		t.Errorf("sessions: %q", out)
	}
	mustCLI(withToken, "", "send", "alice@localhost", "hello", "from", "the", "CLI")
	alice.Expect(func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("from") == "localhost" && el.ChildText("jabber:client", "body") == "hello from the CLI"
	})
	// Signed with the shared secret, body from standard input.
	mustCLI([]string{"MEERKAT_API_URL=" + apiURL, "MEERKAT_API_SECRET=" + secret}, "signed hello\n", "send", "-type", "headline", "alice@localhost")
	alice.Expect(func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("type") == "headline" && el.ChildText("jabber:client", "body") == "signed hello"
	})

	if out := mustCLI(withToken, "pw-bob\n", "user", "add", "Bob@localhost"); out != "added bob@localhost\n" {
		t.Errorf("user add: %q", out)
	}
	bob := xmpptest.Dial(t, c2s, xmpptest.Options{User: "bob", Password: "pw-bob", Mech: "SCRAM-SHA-256"})
	if out := mustCLI(withToken, "", "user", "list"); out != "alice@localhost\nbob@localhost\n" {
		t.Errorf("user list: %q", out)
	}
	mustCLI(withToken, "pw-bob-2\n", "user", "passwd", "bob@localhost")
	if _, err := xmpptest.Connect(t, c2s, xmpptest.Options{User: "bob", Password: "pw-bob", Mech: "SCRAM-SHA-256"}); err == nil {
		t.Error("old password still works")
	}
	xmpptest.Dial(t, c2s, xmpptest.Options{User: "bob", Password: "pw-bob-2", Mech: "SCRAM-SHA-256"}).Close()
	mustCLI(withToken, "", "user", "del", "bob@localhost")
	bob.ExpectStreamError("not-authorized")

	// Errors reach the operator with the API's code and a non-zero exit.
	if _, errs, err := cli(withToken, "pw\n", "user", "add", "alice@localhost"); err == nil || !strings.Contains(errs, "user_exists") {
		t.Errorf("add existing: %v %q", err, errs)
	}
	if _, errs, err := cli([]string{"MEERKAT_API_URL=" + apiURL, "MEERKAT_API_TOKEN=wrong-token-wrong-token"}, "", "sessions"); err == nil || !strings.Contains(errs, "invalid_token") {
		t.Errorf("bad token: %v %q", err, errs)
	}
	// Alice's session was never disturbed.
	mustCLI(withToken, "", "send", "alice@localhost", "still", "here")
	alice.Expect(func(el *stream.Element) bool { return el.ChildText("jabber:client", "body") == "still here" })
}

// TestAPIRoomPost posts into a MUC room through the API of the built
// binary, as a backend app pushes into a channel: an occupant receives the
// message from the service occupant's nick, a client joining later gets it
// as history, and a room that does not exist is a 404 room_not_found.
func TestAPIRoomPost(t *testing.T) {
	const token = "room-token-0123456789abcdef"
	s := startMeerkatWith(t, fmt.Sprintf("\n[api]\nenabled = true\ntokens = [%q]\n", token), "pw", "alice@localhost", "bob@localhost")
	waitPort(t, s.http)
	c2s := fmt.Sprintf("127.0.0.1:%d", s.c2s)
	post := func(room, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/api/v1/rooms/%s/messages", s.http, room),
			strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const room = "lobby@conference.localhost"
	isSelf := func(el *stream.Element) bool {
		return el.Local == "presence" && el.Attr("from") == room+"/alice"
	}
	alice := xmpptest.Dial(t, c2s, xmpptest.Options{User: "alice", Password: "pw", Mech: "SCRAM-SHA-256"})
	alice.Send("<presence to='" + room + "/alice'/>") // groupchat 1.0 join: an instant room
	alice.Expect(isSelf)

	if code, body := post(room, `{"body":"deploy finished","nick":"ci-bot"}`); code != 202 {
		t.Fatalf("post: %d %s", code, body)
	}
	fromBot := func(el *stream.Element) bool {
		return el.Local == "message" && el.Attr("type") == "groupchat" && el.Attr("from") == room+"/ci-bot" &&
			el.ChildText("jabber:client", "body") == "deploy finished"
	}
	alice.Expect(fromBot)
	bob := xmpptest.Dial(t, c2s, xmpptest.Options{User: "bob", Password: "pw", Mech: "SCRAM-SHA-256"})
	bob.Send("<presence to='" + room + "/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	bob.Expect(fromBot) // discussion history

	if code, body := post("nowhere@conference.localhost", `{"body":"x","nick":"ci-bot"}`); code != 404 || !strings.Contains(body, "room_not_found") {
		t.Fatalf("post to a missing room: %d %s", code, body)
	}
}
