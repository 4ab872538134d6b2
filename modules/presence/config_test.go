package presence

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

// TestREADMEExample decodes the README's toml example: it must give the
// defaults.
func TestREADMEExample(t *testing.T) {
	servertest.CheckDefaults(t, "README.md", Name, DefaultConfig, Config.Validate)
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.probesIn.WithLabelValues("answered").Inc() // so the vector has a child to lint
	servertest.Lint(t, reg)
}
