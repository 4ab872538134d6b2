package muc

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the module's collectors, named meerkat_muc_<what>_<unit>.
type metrics struct {
	stanzas     *prometheus.CounterVec // stanzas to the service, by kind
	rooms       prometheus.Gauge
	occupants   prometheus.Gauge
	created     prometheus.Counter
	destroyed   prometheus.Counter
	joins       prometheus.Counter
	messages    prometheus.Counter
	delivered   prometheus.Counter
	invites     prometheus.Counter
	kicks       prometheus.Counter
	storeErrors prometheus.Counter
	relayed     prometheus.Counter
	blocked     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "meerkat", Subsystem: Name, Name: name, Help: help})
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "meerkat", Subsystem: Name, Name: name, Help: help})
	}
	m := &metrics{
		stanzas: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "meerkat", Subsystem: Name,
			Name: "stanzas_received_total", Help: "Stanzas addressed to the MUC service or its rooms, by kind."}, []string{"kind"}),
		rooms:       gauge("rooms", "Rooms in memory, persistent ones included."),
		occupants:   gauge("occupants", "Occupants (nicks) in all rooms."),
		created:     counter("rooms_created_total", "Rooms created by a join."),
		destroyed:   counter("rooms_destroyed_total", "Rooms destroyed by their owner."),
		joins:       counter("joins_total", "Successful joins, extra sessions under one nick included."),
		messages:    counter("messages_total", "Groupchat messages broadcast (subject changes excluded)."),
		delivered:   counter("deliveries_total", "Stanzas handed to occupants' sessions by room broadcasts."),
		invites:     counter("invites_total", "Mediated invitations sent."),
		kicks:       counter("kicks_total", "Occupants kicked by a moderator."),
		storeErrors: counter("storage_errors_total", "Storage calls that failed; the room lives on in memory."),
		relayed:     counter("iq_relayed_total", "IQ requests relayed from one occupant to another."),
		blocked:     counter("deliveries_blocked_total", "Room stanzas not handed to a session because its user blocks the sender (XEP-0191)."),
	}
	cs := []prometheus.Collector{m.stanzas, m.rooms, m.occupants, m.created, m.destroyed, m.joins, m.messages,
		m.delivered, m.invites, m.kicks, m.storeErrors, m.relayed, m.blocked}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}
