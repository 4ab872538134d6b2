package c2s

import (
	"sync/atomic"

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
	parked        prometheus.Gauge

	// inCache and outCache hold the stanza counters by kind and type label
	// once used, so the per-stanza path skips the label hashing and the
	// vector's lock of WithLabelValues.
	inCache, outCache stanzaCounters
}

// stanzaTypes are the type labels stanza.TypeLabel returns, "other" last.
var stanzaTypes = [...]string{
	stanza.MessageNormal, stanza.MessageChat, stanza.MessageGroupchat, stanza.MessageHeadline,
	stanza.TypeError, "available", stanza.PresenceUnavailable, stanza.PresenceProbe,
	stanza.PresenceSubscribe, stanza.PresenceSubscribed, stanza.PresenceUnsubscribe,
	stanza.PresenceUnsubscribed, stanza.IQGet, stanza.IQSet, stanza.IQResult, "other",
}

// stanzaCounters caches one CounterVec's children by kind and type label.
type stanzaCounters [stanza.KindIQ + 1][len(stanzaTypes)]atomic.Pointer[prometheus.Counter]

// typeIndex returns label's index in stanzaTypes.
func typeIndex(label string) int {
	for i, t := range stanzaTypes[:len(stanzaTypes)-1] {
		if t == label {
			return i
		}
	}
	return len(stanzaTypes) - 1
}

// inc counts el on vec, through the cache c.
func (c *stanzaCounters) inc(vec *prometheus.CounterVec, el *stream.Element) {
	k := stanza.KindOf(el)
	label := stanza.TypeLabel(k, el.Attr("type"))
	slot := &c[k][typeIndex(label)]
	if p := slot.Load(); p != nil {
		(*p).Inc()
		return
	}
	ctr := vec.WithLabelValues(k.String(), label)
	slot.Store(&ctr)
	ctr.Inc()
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
		parked: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "parked_sessions",
			Help: "Bound sessions idle long enough to hold no reader goroutine or read buffer.",
		}),
		slowConsumers: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "c2s", Name: "slow_consumers_total",
			Help: "Sessions cut off because their outbound queue overflowed.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.sessions, m.stanzasIn, m.stanzasOut, m.authTotal, m.closedTotal, m.slowConsumers, m.parked)
	}
	return m
}

func (m *Metrics) in(el *stream.Element)  { m.inCache.inc(m.stanzasIn, el) }
func (m *Metrics) out(el *stream.Element) { m.outCache.inc(m.stanzasOut, el) }

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
		"SCRAM-SHA-512", "SCRAM-SHA-512-PLUS", "ANONYMOUS", "EXTERNAL", "OAUTHBEARER":
		return m
	}
	return "other"
}
