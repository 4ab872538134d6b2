package mob

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics exports the counters of the current run to Prometheus, read at
// scrape time, so the hot paths pay nothing for them. Names follow
// meerkat_mob_<what>_<unit>.
type Metrics struct {
	mu  sync.Mutex
	cur *run
}

// NewMetrics registers mob's collectors on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{}
	counter := func(name, help string, f func(r *run) float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "meerkat", Subsystem: "mob", Name: name, Help: help,
		}, func() float64 { return m.read(f) }))
	}
	gauge := func(name, help string, f func(r *run) float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "meerkat", Subsystem: "mob", Name: name, Help: help,
		}, func() float64 { return m.read(f) }))
	}
	counter("logins_total", "Logins that completed (bind done) in the current run.",
		func(r *run) float64 { return float64(r.loginsOK.Load()) })
	counter("login_failures_total", "Logins that failed in the current run.",
		func(r *run) float64 { return float64(r.loginsFailed.Load()) })
	gauge("sessions", "Sessions held open now.",
		func(r *run) float64 { return float64(r.online.Load()) })
	counter("messages_sent_total", "Timed test messages sent in the current run.",
		func(r *run) float64 { return float64(r.sent.Load()) })
	counter("deliveries_total", "Timed test messages received in the current run.",
		func(r *run) float64 { return float64(r.received.Load()) })
	counter("errors_total", "Errors of any kind in the current run.",
		func(r *run) float64 { return float64(r.errorCount()) })
	gauge("delivery_p50_seconds", "Median time to delivery so far.",
		func(r *run) float64 { return r.deliveryHist.Quantile(0.5).Seconds() })
	gauge("delivery_p99_seconds", "99th percentile time to delivery so far.",
		func(r *run) float64 { return r.deliveryHist.Quantile(0.99).Seconds() })
	gauge("send_lag_seconds", "How far the send loop fell behind its schedule, at worst.",
		func(r *run) float64 { return float64(r.maxLag.Load()) / 1e9 })
	return m
}

func (m *Metrics) read(f func(r *run) float64) float64 {
	m.mu.Lock()
	r := m.cur
	m.mu.Unlock()
	if r == nil {
		return 0
	}
	return f(r)
}

// attach shows r's counters from now on; a finished run's stay visible.
func (m *Metrics) attach(r *run) { m.mu.Lock(); m.cur = r; m.mu.Unlock() }
