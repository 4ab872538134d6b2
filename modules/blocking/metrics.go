package blocking

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/stanza"
)

// Directions of a blocked stanza, as the blocking user sees it.
const (
	inbound  = "inbound"
	outbound = "outbound"
)

// metrics are the module's collectors, named meerkat_blocking_<what>_<unit>.
type metrics struct {
	// stanzas counts blocked stanzas by direction and kind.
	stanzas *prometheus.CounterVec
	// changes counts block and unblock requests.
	changes *prometheus.CounterVec
	// loads counts block lists read from storage into the cache.
	loads prometheus.Counter
	// pre-resolved children of stanzas, so the hot path does no lookup.
	byKind [2][4]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	stanzas := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "meerkat", Subsystem: Name, Name: "stanzas_blocked_total",
		Help: "Stanzas stopped because of a block list, by direction (inbound: from a blocked JID; outbound: to one) and kind.",
	}, []string{"direction", "kind"})
	changes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "meerkat", Subsystem: Name, Name: "changes_total",
		Help: "Successful block and unblock requests, by operation.",
	}, []string{"op"})
	loads := prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "meerkat", Subsystem: Name, Name: "list_loads_total",
		Help: "Block lists read from storage into the cache.",
	})
	var err error
	if stanzas, err = register(reg, stanzas); err != nil {
		return nil, err
	}
	if changes, err = register(reg, changes); err != nil {
		return nil, err
	}
	if loads, err = register(reg, loads); err != nil {
		return nil, err
	}
	m := &metrics{stanzas: stanzas, changes: changes, loads: loads}
	for d, dir := range []string{inbound, outbound} {
		for k := range m.byKind[d] {
			m.byKind[d][k] = stanzas.WithLabelValues(dir, stanza.Kind(k).String())
		}
	}
	for _, op := range []string{"block", "unblock"} {
		changes.WithLabelValues(op)
	}
	return m, nil
}

// blocked counts one stopped stanza.
func (m *metrics) blocked(direction string, k stanza.Kind) {
	d := 0
	if direction == outbound {
		d = 1
	}
	if int(k) >= len(m.byKind[d]) {
		k = stanza.KindNone
	}
	m.byKind[d][k].Inc()
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
