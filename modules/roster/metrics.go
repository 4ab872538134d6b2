package roster

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	pushes        prometheus.Counter
	subscriptions *prometheus.CounterVec
	full          prometheus.Counter
	storageErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		pushes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "roster", Name: "pushes_total",
			Help: "Roster pushes sent to interested resources.",
		}),
		subscriptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "roster", Name: "subscription_stanzas_total",
			Help: "Subscription presence stanzas processed, by direction (in, out) and type.",
		}, []string{"direction", "type"}),
		full: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "roster", Name: "full_rejections_total",
			Help: "Roster sets and subscription requests refused because the roster held max_items.",
		}),
		storageErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "roster", Name: "storage_errors_total",
			Help: "Roster storage calls that failed.",
		}),
	}
	for _, c := range []prometheus.Collector{m.pushes, m.subscriptions, m.full, m.storageErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) subscription(e Event) {
	dir := "out"
	if e.Inbound() {
		dir = "in"
	}
	m.subscriptions.WithLabelValues(dir, e.Type()).Inc()
}
