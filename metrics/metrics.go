// Package metrics builds the Prometheus registry a Meerkat process exposes
// and the few collectors that belong to no single package (storage query
// latency, build info). Every other package keeps its collectors in its own
// metrics.go and registers them on the registry it is given; nothing here
// touches prometheus.DefaultRegisterer.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns a registry with the Go runtime and process collectors
// and meerkat_build_info.
func NewRegistry(version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "meerkat", Name: "build_info",
		Help:        "Always 1; the version label says which Meerkat runs.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	info.Set(1)
	reg.MustRegister(info)
	return reg
}

// StorageObserver returns the callback storage backends call after every
// operation, feeding meerkat_storage_query_duration_seconds{backend,operation,result}.
func StorageObserver(reg prometheus.Registerer, backend string) func(op string, d time.Duration, err error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "meerkat", Subsystem: "storage", Name: "query_duration_seconds",
		Help:        "Storage operation latency by backend, operation and result.",
		ConstLabels: prometheus.Labels{"backend": backend},
		Buckets:     []float64{5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, .01, .025, .05, .1, .25, 1},
	}, []string{"operation", "result"})
	reg.MustRegister(h)
	return func(op string, d time.Duration, err error) {
		r := "ok"
		if err != nil {
			r = "error"
		}
		h.WithLabelValues(op, r).Observe(d.Seconds())
	}
}
