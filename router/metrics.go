package router

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/stanza"
)

// Metrics are the router's Prometheus collectors.
type Metrics struct {
	delivery *prometheus.HistogramVec
	bounced  prometheus.Counter
	byKind   [4]prometheus.Observer
}

// NewMetrics creates the router collectors and registers them on reg (nil:
// not registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		delivery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "meerkat", Subsystem: "router", Name: "delivery_duration_seconds",
			Help:    "Time from a stanza entering the router to its last recipient's queue.",
			Buckets: []float64{1e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 5e-3, .025, .1, .5},
		}, []string{"kind"}),
		bounced: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "router", Name: "bounced_stanzas_total",
			Help: "Stanzas answered with an error because they could not be delivered.",
		}),
	}
	for k := stanza.KindNone; k <= stanza.KindIQ; k++ {
		m.byKind[k] = m.delivery.WithLabelValues(k.String())
	}
	if reg != nil {
		reg.MustRegister(m.delivery, m.bounced)
	}
	return m
}

func (m *Metrics) observe(k stanza.Kind, d time.Duration) {
	m.byKind[k].Observe(d.Seconds())
}
