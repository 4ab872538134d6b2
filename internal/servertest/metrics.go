package servertest

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

// Counter returns the value of the first counter called name whose labels
// include labels (nil matches any), or 0 when there is none.
func Counter(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// Lint gathers g, reports every promlint problem as an error and returns
// the metric families.
func Lint(t testing.TB, g prometheus.Gatherer) []*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
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
	return mfs
}

// CheckMetricDocs lints the metrics of the module called name in g (see
// Lint) and checks that each has the meerkat_<name>_ prefix and appears,
// in backquotes, in doc, the module's README.
func CheckMetricDocs(t testing.TB, g prometheus.Gatherer, name, doc string) {
	t.Helper()
	for _, mf := range Lint(t, g) {
		if !strings.HasPrefix(mf.GetName(), "meerkat_"+name+"_") {
			t.Errorf("metric %s lacks the meerkat_%s_ prefix", mf.GetName(), name)
		}
		if !strings.Contains(doc, "`"+mf.GetName()+"`") {
			t.Errorf("README.md does not document %s", mf.GetName())
		}
	}
}
