package register

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the module's collectors, named meerkat_register_<what>_<unit>.
type metrics struct {
	registered      prometheus.Counter
	passwordChanges prometheus.Counter
	removed         prometheus.Counter
	// refusals counts refused requests by reason: conflict (username
	// taken), not_acceptable (bad username or password), disabled.
	refusals *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		registered: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "accounts_created_total",
			Help: "Accounts created by in-band registration.",
		}),
		passwordChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "password_changes_total",
			Help: "Passwords changed in-band.",
		}),
		removed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "accounts_removed_total",
			Help: "Accounts their users removed in-band.",
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: Name, Name: "refused_total",
			Help: "Refused registration, password change and removal requests, by reason.",
		}, []string{"reason"}),
	}
	var err error
	for _, c := range []*prometheus.Counter{&m.registered, &m.passwordChanges, &m.removed} {
		if *c, err = register(reg, *c); err != nil {
			return nil, err
		}
	}
	if m.refusals, err = register(reg, m.refusals); err != nil {
		return nil, err
	}
	for _, r := range []string{"conflict", "not_acceptable", "disabled"} {
		m.refusals.WithLabelValues(r)
	}
	return m, nil
}

// refused counts one refusal; reason is one of the fixed set above.
func (m *metrics) refused(reason string) { m.refusals.WithLabelValues(reason).Inc() }

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
