package last

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/meerkat-xmpp/meerkat/config"
)

var tomlBlock = regexp.MustCompile("(?s)```toml\n(.*?)```")

// TestREADME checks that README.md has the usual sections, that its example
// configuration parses, decodes strictly and makes a module, and that it
// documents every metric the module registers, which promlint accepts.
func TestREADME(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, h := range []string{"## Name", "## Description", "## Config", "## Metrics", "## Hooks", "## Example"} {
		if !strings.Contains(doc, "\n"+h+"\n") {
			t.Errorf("README.md lacks %q", h)
		}
	}
	ex := tomlBlock.FindStringSubmatch(doc[strings.Index(doc, "## Example"):])
	if ex == nil {
		t.Fatal("README.md has no toml example")
	}
	cfg, err := config.Parse("README.md", []byte(ex[1]))
	if err != nil {
		t.Fatal(err)
	}
	mc, ok := cfg.Modules[Name]
	if !ok {
		t.Fatalf("the example has no [modules.%s] table", Name)
	}
	c := DefaultConfig()
	if err := mc.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if _, err := New(c); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
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
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "meerkat_"+Name+"_") {
			t.Errorf("metric %s lacks the meerkat_%s_ prefix", mf.GetName(), Name)
		}
		if !strings.Contains(doc, "`"+mf.GetName()+"`") {
			t.Errorf("README.md does not document %s", mf.GetName())
		}
	}
}
