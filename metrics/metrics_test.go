package metrics_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/meerkat-xmpp/meerkat/c2s"
	"github.com/meerkat-xmpp/meerkat/metrics"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// TestNamingLint runs promlint over the core collectors, each with at
// least one observation so every family is exposed. Modules lint their own
// collectors in their packages.
func TestNamingLint(t *testing.T) {
	reg := metrics.NewRegistry("test")
	router.NewMetrics(reg)
	c2s.NewMetrics(reg)
	obs := metrics.StorageObserver(reg, "sqlite")
	for _, op := range storage.Ops() {
		obs(op, time.Millisecond, nil)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"meerkat_build_info", "meerkat_storage_query_duration_seconds"} {
		if !names[want] {
			t.Errorf("%s not exposed", want)
		}
	}
}
