package api

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// apiMetrics count API requests by endpoint and status, and refused
// credentials by reason.
type apiMetrics struct {
	requests     *prometheus.CounterVec
	authFailures *prometheus.CounterVec
}

// newAPIMetrics registers the API's collectors on reg (nil: unregistered).
func newAPIMetrics(reg prometheus.Registerer) *apiMetrics {
	m := &apiMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meerkat_api_requests_total",
			Help: "HTTP API requests by endpoint path pattern (\"other\" for unknown paths) and response status code.",
		}, []string{"path", "code"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meerkat_api_auth_failures_total",
			Help: "HTTP API requests refused before any work, by error code (invalid_token, invalid_signature, expired_timestamp, replayed_signature, ...).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.authFailures)
	}
	return m
}

func (m *apiMetrics) observe(path string, status int) {
	if status == 0 {
		status = 200
	}
	m.requests.WithLabelValues(path, strconv.Itoa(status)).Inc()
}
