package presence

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/meerkat-xmpp/meerkat/config"
)

// TestREADMEExample decodes the README's toml example: it must give the
// defaults.
func TestREADMEExample(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var toml strings.Builder
	in := false
	for line := range strings.Lines(string(data)) {
		switch trimmed := strings.TrimSpace(line); {
		case !in && trimmed == "```toml":
			in = true
		case in && trimmed == "```":
			in = false
		case in:
			toml.WriteString(line)
		}
	}
	cfg, err := config.Parse("README.md", []byte(toml.String()))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := cfg.Modules[Name]
	if !ok {
		t.Fatalf("README.md has no [modules.%s] example", Name)
	}
	c := DefaultConfig()
	if err := m.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("README example gives %+v, want the defaults %+v", c, DefaultConfig())
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.probesIn.WithLabelValues("answered").Inc() // so the vector has a child to lint
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}
