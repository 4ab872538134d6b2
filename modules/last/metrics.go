package last

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the module's collectors, named meerkat_last_<what>_<unit>.
type metrics struct {
	// queries counts answered-to queries by target: server or account.
	queries *prometheus.CounterVec
	// forbidden counts account queries refused for lack of a subscription.
	forbidden prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "queries_total",
			Help: "Last activity queries, by target (server or account).",
		}, []string{"target"}),
		forbidden: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "forbidden_total",
			Help: "Account queries refused because the requester may not see the user's presence.",
		}),
	}
	var err error
	if m.queries, err = register(reg, m.queries); err != nil {
		return nil, err
	}
	if m.forbidden, err = register(reg, m.forbidden); err != nil {
		return nil, err
	}
	for _, t := range []string{"server", "account"} {
		m.queries.WithLabelValues(t)
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name (a module started again on the same registry keeps counting).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if prev, ok := are.ExistingCollector.(C); ok {
				return prev, nil
			}
		}
		return c, err
	}
	return c, nil
}
