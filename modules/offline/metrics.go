package offline

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the module's collectors, named meerkat_offline_<what>_<unit>.
type metrics struct {
	stored    prometheus.Counter
	delivered prometheus.Counter
	rejected  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		stored: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "stored_total",
			Help: "Messages stored for offline users.",
		}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "delivered_total",
			Help: "Stored messages delivered to a user at login.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "rejected_total",
			Help: "Messages refused with service-unavailable because the user's offline queue was full.",
		}),
	}
	var err error
	if m.stored, err = register(reg, m.stored); err != nil {
		return nil, err
	}
	if m.delivered, err = register(reg, m.delivered); err != nil {
		return nil, err
	}
	if m.rejected, err = register(reg, m.rejected); err != nil {
		return nil, err
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
