package mob_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/bosh"
	"github.com/meerkat-xmpp/meerkat/internal/mob"
)

// startBOSH serves BOSH on top of a test server and returns its URL.
func startBOSH(t *testing.T) string {
	t.Helper()
	srv := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tr := srv.C2S.NewTransport("bosh", c2s.ListenerConfig{Name: "bosh", ReplaceOnConflict: true})
	hs := httptest.NewServer(bosh.New(ctx, tr, bosh.Config{}, nil, nil))
	t.Cleanup(hs.Close)
	return hs.URL + "/http-bind"
}

// TestBOSHChatRequests: a message sent over BOSH costs the sender one
// request (it becomes the request the server holds, XEP-0124 §10) and the
// recipient one (the poll that follows the one its message answered). A
// transport that re-polls after every send costs three per message and
// queues behind its own round trips under load (issue 6).
func TestBOSHChatRequests(t *testing.T) {
	url := startBOSH(t)
	b, _, err := mob.NewBOSH(url, nil, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, "127.0.0.1:1", "SCRAM-SHA-256")
	cfg.Transport, cfg.Target, cfg.TLS = b, url, ""
	// Two users at 10 msg/s take turns, 100 ms apart: no two requests of
	// a session coincide, so no batching hides a wasted request.
	res, err := mob.Chat(context.Background(), cfg, mob.ChatOptions{
		Users: 2, Rate: 10, Duration: 2 * time.Second, Drain: 5 * time.Second, Body: 64, Presence: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Traffic
	if tr == nil || res.Errors != 0 || tr.Sent != 20 || tr.Received != 20 {
		t.Fatalf("traffic %+v, errors %v", tr, res.ErrorKinds)
	}
	if tr.Requests == 0 || tr.RequestsPerDelivery > 2 {
		t.Errorf("%d HTTP requests for %d deliveries (%.2f each); want at most 2 each", tr.Requests, tr.Received, tr.RequestsPerDelivery)
	}
	checkOrdered(t, "delivery", tr.Latency)
}
