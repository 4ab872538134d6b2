package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/c2s/bosh"
	"github.com/meerkat-xmpp/meerkat/c2s/httpx"
	"github.com/meerkat-xmpp/meerkat/c2s/websocket"
	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/stream"
	"github.com/meerkat-xmpp/meerkat/web"
)

// webHandler puts WebSocket, BOSH, XEP-0156 discovery and the demo page
// beside next (the operator API) on the HTTP listener. Sessions of both
// transports run on the c2s server with the limits of a default
// [[listen.c2s]] table.
func (n *node) webHandler(ctx context.Context, next http.Handler) (http.Handler, error) {
	h := n.cfg.Listen.HTTP
	proxies, err := httpx.ParseProxies(h.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("listen.http.trusted_proxies: %w", err)
	}
	var d config.C2S
	d.SetDefaults()
	lim := stream.Limits{MaxStanzaBytes: d.MaxStanzaBytes, MaxDepth: d.MaxDepth, MaxAttrs: d.MaxAttrs}
	lc := c2s.ListenerConfig{
		Limits: lim, HandshakeTimeout: d.HandshakeTimeout.D(), IdleTimeout: d.IdleTimeout.D(),
		OutboundQueueBytes: d.OutboundQueueBytes, MaxAuthFailures: d.MaxAuthFailures,
		ReplaceOnConflict: d.ResourceConflict != config.ConflictRefuse, LegacySession: d.LegacySession,
	}
	mux := http.NewServeMux()
	mux.Handle("/", next)
	ep := web.Endpoints{IsSecure: func(r *http.Request) bool { return proxies.Security(r) != nil }}
	if h.WebSocket.Enabled {
		wlc := lc
		wlc.Name = "websocket"
		// A WebSocket reads frames straight off its socket, so an idle
		// session parks like a TCP one.
		wlc.ParkAfter = d.ParkAfter.D()
		tr := n.c2s.NewTransport("websocket", wlc)
		mux.Handle(h.WebSocket.Path, websocket.New(tr, websocket.Config{
			Limits: lim, PingInterval: h.WebSocket.PingInterval.D(), PingTimeout: h.WebSocket.PingTimeout.D(),
			Origins: h.CORSOrigins, Proxies: proxies, SeeOtherURI: h.WebSocket.SeeOtherURI,
		}, n.log.With("component", "websocket")))
		ep.WebSocket = h.WebSocket.Path
	}
	if h.BOSH.Enabled {
		blc := lc
		blc.Name = "bosh"
		blc.IdleTimeout = 0 // BOSH's inactivity limit ends idle sessions
		tr := n.c2s.NewTransport("bosh", blc)
		mux.Handle(h.BOSH.Path, bosh.New(ctx, tr, bosh.Config{
			Limits: lim, MaxWait: h.BOSH.MaxWait.D(), MaxHold: h.BOSH.MaxHold, MaxRequests: h.BOSH.MaxRequests,
			Inactivity: h.BOSH.Inactivity.D(), Polling: h.BOSH.Polling.D(), MaxPendingBytes: d.OutboundQueueBytes,
			Origins: h.CORSOrigins, Proxies: proxies, Fallback: mux,
		}, bosh.NewMetrics(n.reg), n.log.With("component", "bosh")))
		ep.BOSH = h.BOSH.Path
	}
	web.Register(mux, ep, h.DemoPage)
	return mux, nil
}

// httpTLS is the HTTP listener's TLS: the server's certificate, HTTP/1.1
// only (WebSocket upgrades need it).
func httpTLS(base *tls.Config) *tls.Config {
	c := base.Clone()
	c.NextProtos = []string{"http/1.1"}
	return c
}
