package test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeMetricsHealthAndShutdown runs the binary: a login shows in
// /metrics, health endpoints answer, and SIGTERM ends every session with
// <system-shutdown/> before the process exits cleanly.
func TestServeMetricsHealthAndShutdown(t *testing.T) {
	s := startMeerkat(t, "pw-for-alice", "alice@localhost")
	c := xmpptest.Dial(t, fmt.Sprintf("127.0.0.1:%d", s.c2s), xmpptest.Options{User: "alice", Password: "pw-for-alice", Mech: "SCRAM-SHA-256"})
	c.Send("<presence/>")
	c.Expect(func(el *stream.Element) bool { return el.Local == "presence" })

	base := fmt.Sprintf("http://127.0.0.1:%d", s.http)
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := httpGet(t, base+p); code != 200 || !strings.Contains(body, "ok") {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
	_, m := httpGet(t, base+"/metrics")
	for _, want := range []string{
		`meerkat_c2s_auth_attempts_total{mechanism="SCRAM-SHA-256",result="success"} 1`,
		`meerkat_c2s_sessions{transport="tcp"} 1`,
		`meerkat_c2s_stanzas_received_total{kind="presence",type="available"} 1`,
		`meerkat_router_delivery_duration_seconds_count{kind="presence"}`,
		`meerkat_storage_query_duration_seconds_count{backend="sqlite",operation="credentials_get",result="ok"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	s.cmd.Process.Signal(syscall.SIGTERM)
	c.ExpectStreamError("system-shutdown")
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.log.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("meerkat did not exit after SIGTERM")
	}
	s.exited = true
	if !strings.Contains(s.log.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", s.log.String())
	}
}
