package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const webPassword = "s3cret-web-pass"

func haveNodeModules(pkg string) bool {
	_, err := os.Stat(filepath.Join("web", "node_modules", pkg, "package.json"))
	return err == nil
}

// echoBot is a Go client on the TCP listener that answers every chat
// message with "echo: <body>" and records what it got.
type echoBot struct {
	mu  sync.Mutex
	got []string // "from|body"
}

func startEchoBot(t *testing.T, s *server) *echoBot {
	t.Helper()
	c := xmpptest.Dial(t, "127.0.0.1:"+strconv.Itoa(s.c2s), xmpptest.Options{User: "bot", Password: webPassword, Mech: "SCRAM-SHA-256", Resource: "go",
		Timeout: 10 * time.Minute}) // the bot waits as long as the test runs
	c.Send("<presence/>")
	b := &echoBot{}
	go func() {
		for {
			el, err := c.NextElement()
			if err != nil {
				return
			}
			if el.Local != "message" {
				continue
			}
			body := el.ChildText(stream.NSClient, "body")
			if body == "" || strings.HasPrefix(body, "echo: ") {
				continue
			}
			from := el.Attr("from")
			b.mu.Lock()
			b.got = append(b.got, from+"|"+body)
			b.mu.Unlock()
			var e strings.Builder
			xmlEscape(&e, body)
			var to strings.Builder
			xmlEscape(&to, from)
			c.SendRaw(fmt.Sprintf("<message to='%s' type='chat'><body>echo: %s</body></message>", to.String(), e.String()))
		}
	}()
	return b
}

func xmlEscape(b *strings.Builder, s string) {
	b.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;").Replace(s))
}

// received reports whether the bot got body from a full JID of bare.
func (b *echoBot) received(bare, body string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, g := range b.got {
		from, text, _ := strings.Cut(g, "|")
		if strings.HasPrefix(from, bare+"/") && text == body {
			return true
		}
	}
	return false
}

// TestNodeWebSocketChat: @xmpp/client under Node logs in over WebSocket
// (SCRAM, as plain ws:// offers no PLAIN) and chats with a Go TCP client.
func TestNodeWebSocketChat(t *testing.T) {
	need(t, "node and test/web/node_modules (npm ci in test/web)", haveNodeModules("@xmpp/client") && haveNode())
	s := startMeerkat(t, webPassword, "alice@localhost", "bot@localhost")
	waitPort(t, s.http)
	bot := startEchoBot(t, s)
	out, err := runWithTimeout(t, 60*time.Second, "node", "--experimental-websocket", "web/ws-chat.mjs",
		fmt.Sprintf("ws://127.0.0.1:%d/xmpp-websocket", s.http), "alice@localhost", webPassword, "bot@localhost/go")
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("@xmpp/client over WebSocket: %v\n%s", err, out)
	}
	if !bot.received("alice@localhost", "hello from node over websocket") {
		t.Fatalf("the TCP client did not get the message; got %v", bot.got)
	}
}

func haveNode() bool { _, err := exec.LookPath("node"); return err == nil }

func haveChromium() bool {
	_, err := os.Stat(chromiumPath())
	return err == nil
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// artifactDir is where screenshots go: $ARTIFACTS_DIR, or test/web/artifacts.
func artifactDir(t *testing.T) string {
	d := os.Getenv("ARTIFACTS_DIR")
	if d == "" {
		d = filepath.Join("web", "artifacts")
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(d)
	return abs
}

// TestChromiumDemoPage: headless Chromium opens the demo page, logs in over
// WebSocket and over BOSH, chats with a Go client each time, and over BOSH
// reloads the page and goes on in the same session (strophe.js restores it
// from sid and next rid). On https (tls = true on the HTTP listener) the
// page's WebSocket client is @xmpp/client (PLAIN over wss); on plain http it
// is strophe.js (SCRAM). Screenshots are kept as test artifacts.
func TestChromiumDemoPage(t *testing.T) {
	need(t, "chromium ("+chromiumPath()+")", haveChromium())
	need(t, "node and test/web/node_modules (npm ci in test/web)", haveNodeModules("playwright-core") && haveNode())
	for _, scheme := range []string{"https", "http"} {
		t.Run(scheme, func(t *testing.T) {
			keys := "demo_page = true\n"
			if scheme == "https" {
				keys += "tls = true\n"
			}
			s := startMeerkatHTTP(t, keys, "", webPassword, "alice@localhost", "bob@localhost", "bot@localhost")
			waitPort(t, s.http)
			bot := startEchoBot(t, s)
			base := fmt.Sprintf("%s://127.0.0.1:%d", scheme, s.http)
			for _, tt := range []struct {
				transport, user string
				reload          bool
			}{
				{"websocket", "alice", false},
				{"bosh", "bob", true},
			} {
				t.Run(tt.transport, func(t *testing.T) {
					shot := filepath.Join(artifactDir(t), "demo-"+scheme+"-"+tt.transport+".png")
					args := []string{"web/browser.mjs", base, tt.user + "@localhost", webPassword, "bot@localhost", tt.transport, shot}
					if tt.reload {
						args = append(args, "reload")
					}
					out, err := runWithTimeout(t, 120*time.Second, "node", args...)
					t.Logf("screenshot: %s", shot)
					if err != nil || !strings.Contains(out, "\nOK") {
						t.Fatalf("browser over %s: %v\n%s", tt.transport, err, out)
					}
					if !bot.received(tt.user+"@localhost", "hello over "+tt.transport) {
						t.Fatalf("the Go client did not get the page's message; got %v", bot.got)
					}
					if tt.reload && !bot.received(tt.user+"@localhost", "after reload over "+tt.transport) {
						t.Fatalf("no message after the reload; got %v", bot.got)
					}
					if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
						t.Fatalf("no screenshot: %v", err)
					}
				})
			}
		})
	}
}

// TestMobWebTransports: mob's WebSocket and BOSH transports log in and chat
// on Meerkat, every message delivered.
func TestMobWebTransports(t *testing.T) {
	const users = 10
	names := make([]string, users)
	for i := range names {
		names[i] = fmt.Sprintf("user%d@localhost", i+1)
	}
	s := startMeerkat(t, "mob-password", names...)
	waitPort(t, s.http)
	for _, tt := range []struct{ transport, url string }{
		{"websocket", fmt.Sprintf("ws://127.0.0.1:%d/xmpp-websocket", s.http)},
		{"bosh", fmt.Sprintf("http://127.0.0.1:%d/http-bind", s.http)},
	} {
		t.Run(tt.transport, func(t *testing.T) {
			res := runMob(t, "chat", "--url", tt.url, "--users", strconv.Itoa(users), "--password", "mob-password",
				"--mech", "SCRAM-SHA-256", "--rate", "100", "--duration", "1s", "--drain", "10s", "--timeout", "20s",
				"--server-pid", strconv.Itoa(s.cmd.Process.Pid))
			tr := res.Traffic
			if res.Transport != tt.transport || res.Logins.OK != users || tr == nil || tr.Sent != 100 || tr.Received != 100 || res.Errors != 0 {
				t.Fatalf("transport %s, logins %+v, traffic %+v, errors %v", res.Transport, res.Logins, tr, res.ErrorKinds)
			}
			if !ordered(tr.Latency) {
				t.Fatalf("latency %+v", tr.Latency)
			}
		})
	}
}
