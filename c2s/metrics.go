package c2s

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Metrics are the c2s Prometheus collectors.
type Metrics struct {
	connections   *prometheus.GaugeVec
	sessions      *prometheus.GaugeVec
	stanzasIn     *prometheus.CounterVec
	stanzasOut    *prometheus.CounterVec
	authTotal     *prometheus.CounterVec
	closedTotal   *prometheus.CounterVec
	slowConsumers prometheus.Counter
}

// NewMetrics creates the c2s collectors and registers them on reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "connections",
			Help: "Open client connections, bound or not, by transport.",
		}, []string{"transport"}),
		sessions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "sessions",
			Help: "Client sessions with a bound resource, by transport.",
		}, []string{"transport"}),
		stanzasIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "stanzas_received_total",
			Help: "Top-level elements received from clients, by stanza kind and type.",
		}, []string{"kind", "type"}),
		stanzasOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "stanzas_sent_total",
			Help: "Stanzas queued to clients, by stanza kind and type.",
		}, []string{"kind", "type"}),
		authTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "auth_attempts_total",
			Help: "SASL authentications by mechanism and result (success, failure).",
		}, []string{"mechanism", "result"}),
		closedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "closed_total",
			Help: "Closed client connections by reason (a stream error condition or a transport event).",
		}, []string{"reason"}),
		slowConsumers: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "slow_consumers_total",
			Help: "Sessions cut off because their outbound queue overflowed.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.sessions, m.stanzasIn, m.stanzasOut, m.authTotal, m.closedTotal, m.slowConsumers)
	}
	return m
}

func (m *Metrics) in(el *stream.Element) {
	k := stanza.KindOf(el)
	m.stanzasIn.WithLabelValues(k.String(), stanza.TypeLabel(k, el.Attr("type"))).Inc()
}

func (m *Metrics) out(el *stream.Element) {
	k := stanza.KindOf(el)
	m.stanzasOut.WithLabelValues(k.String(), stanza.TypeLabel(k, el.Attr("type"))).Inc()
}

func (m *Metrics) auth(mech string, ok bool) {
	r := "failure"
	if ok {
		r = "success"
	}
	m.authTotal.WithLabelValues(mechLabel(mech), r).Inc()
}

func (m *Metrics) closed(reason string) {
	m.closedTotal.WithLabelValues(reason).Inc()
}

// mechLabel folds client-chosen mechanism names into a bounded label set.
func mechLabel(m string) string {
	switch m {
	case "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS",
		"SCRAM-SHA-512", "SCRAM-SHA-512-PLUS", "ANONYMOUS", "EXTERNAL":
		return m
	}
	return "other"
}
