package ping

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the module's collectors, named meerkat_ping_<what>_<unit>.
type metrics struct {
	answered prometheus.Counter // pings to the server or an account answered
	sent     prometheus.Counter // server pings sent to idle sessions
	answers  prometheus.Counter // answers to server pings
	timeouts prometheus.Counter // server pings not answered in time
	tracked  prometheus.Gauge   // sessions watched for idleness
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "meerkat", Subsystem: Name, Name: name, Help: help})
	}
	m := &metrics{
		answered: counter("requests_total", "Pings to the server or to an account that the server answered."),
		sent:     counter("sent_total", "Pings the server sent to idle sessions."),
		answers:  counter("answers_total", "Answers to the server's pings that arrived in time."),
		timeouts: counter("timeouts_total", "Server pings that got no answer within the timeout."),
		tracked: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "meerkat", Subsystem: Name, Name: "sessions",
			Help: "Sessions watched for idleness."}),
	}
	var err error
	for _, c := range []*prometheus.Counter{&m.answered, &m.sent, &m.answers, &m.timeouts} {
		if *c, err = register(reg, *c); err != nil {
			return nil, err
		}
	}
	if m.tracked, err = register(reg, m.tracked); err != nil {
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
