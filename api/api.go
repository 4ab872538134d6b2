// Package api serves Meerkat's HTTP endpoints for operators: Prometheus
// metrics at /metrics and the health checks /healthz (the process is alive)
// and /readyz (it accepts sessions; it fails as soon as shutdown begins, so a
// load balancer drains the node before its listeners close).
package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure the handler.
type Options struct {
	// Gatherer is the registry /metrics exposes.
	Gatherer prometheus.Gatherer
	// Ready reports nil while the node should receive traffic.
	Ready func() error
	// API serves every /api/ path (NewV1); nil leaves the API off.
	API http.Handler
}

// NewHandler returns the HTTP handler for the operator endpoints.
func NewHandler(o Options) http.Handler {
	mux := http.NewServeMux()
	if o.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}
	if o.API != nil {
		mux.Handle("/api/", o.API)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if o.Ready != nil {
			if err := o.Ready(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(err.Error() + "\n"))
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}
