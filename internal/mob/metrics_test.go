package mob

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

func TestMetricsLintAndValues(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	r := &run{cfg: &Config{}, loginHist: NewHistogram(), deliveryHist: NewHistogram(), errs: map[string]uint64{"login: timeout": 2}}
	r.sent.Add(7)
	m.attach(r)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(fams).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	got := map[string]float64{}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "meerkat_mob_") {
			t.Errorf("metric %s lacks the meerkat_mob_ prefix", f.GetName())
		}
		mm := f.GetMetric()[0]
		if c := mm.GetCounter(); c != nil {
			got[f.GetName()] = c.GetValue()
		}
	}
	if got["meerkat_mob_messages_sent_total"] != 7 || got["meerkat_mob_errors_total"] != 2 {
		t.Errorf("values %v", got)
	}
}
