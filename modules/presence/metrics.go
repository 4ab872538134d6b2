package presence

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	broadcasts    prometheus.Counter
	recipients    prometheus.Counter
	probesSent    prometheus.Counter
	probesIn      *prometheus.CounterVec
	directedFull  prometheus.Counter
	storageErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		broadcasts: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "presence", Name: "broadcasts_total",
			Help: "Broadcast presence changes (available, updates and unavailable) fanned out to contacts.",
		}),
		recipients: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "presence", Name: "broadcast_recipients_total",
			Help: "Presence stanzas sent to contacts and directed-presence peers by broadcasts.",
		}),
		probesSent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "presence", Name: "probes_sent_total",
			Help: "Presence probes sent on behalf of users at initial presence.",
		}),
		probesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "presence", Name: "probes_received_total",
			Help: "Presence probes to local users, by result (answered, unsubscribed, ignored).",
		}, []string{"result"}),
		directedFull: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "presence", Name: "directed_untracked_total",
			Help: "Directed presence not tracked because the session already tracked max_directed peers.",
		}),
		storageErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "presence", Name: "storage_errors_total",
			Help: "Roster reads that failed.",
		}),
	}
	for _, c := range []prometheus.Collector{m.broadcasts, m.recipients, m.probesSent, m.probesIn, m.directedFull, m.storageErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
