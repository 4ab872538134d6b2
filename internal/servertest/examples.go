package servertest

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meerkat-xmpp/meerkat/config"
)

// ModuleTable returns the [modules.<name>] table of a configuration
// example: the TOML file at path or, for a ".md" path, the TOML of its
// ```toml code blocks. ok is false when the example has no such table.
func ModuleTable(t testing.TB, path, name string) (m config.Module, ok bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".md") {
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
		data = []byte(toml.String())
	}
	if !strings.Contains(string(data), "[modules."+name+"]") {
		return m, false // at most the default module set, not a table in the file
	}
	cfg, err := config.Parse(path, data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok = cfg.Modules[name]
	return m, ok
}

// CheckDefaults checks that the [modules.<name>] table of the example at
// path (see ModuleTable) decodes strictly onto def() and gives def() back,
// which validate, when not nil, accepts. A README must have the table; a
// TOML file without one skips the test.
func CheckDefaults[C any](t testing.TB, path, name string, def func() C, validate func(C) error) {
	t.Helper()
	m, ok := ModuleTable(t, path, name)
	if !ok {
		if strings.HasSuffix(path, ".md") {
			t.Fatalf("%s has no [modules.%s] example", path, name)
		}
		t.Skipf("%s does not configure [modules.%s]", path, name)
	}
	c := def()
	if err := m.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if validate != nil {
		if err := validate(c); err != nil {
			t.Errorf("%s gives an invalid configuration: %v", path, err)
		}
	}
	if !reflect.DeepEqual(c, def()) {
		t.Errorf("%s gives %+v, want the defaults %+v", path, c, def())
	}
}

// CheckConfigExamples runs CheckDefaults in a subtest for each example
// that may configure the module called name: the package's README.md and
// the shipped ../../meerkat.toml.
func CheckConfigExamples[C any](t *testing.T, name string, def func() C, validate func(C) error) {
	t.Helper()
	for _, path := range []string{"README.md", "../../meerkat.toml"} {
		t.Run(path, func(t *testing.T) { CheckDefaults(t, path, name, def, validate) })
	}
}

// readmeSections are the sections every module's README.md has.
var readmeSections = []string{"## Name", "## Description", "## Config", "## Metrics", "## Hooks", "## Example"}

var tomlBlock = regexp.MustCompile("(?s)```toml\n(.*?)```")

// CheckREADME checks the README.md of the module called name, in the
// test's working directory: it has the usual sections; the first toml
// block of its Example section parses, has a [modules.<name>] table that
// decodes strictly onto def() and makes a module with newModule; and it
// documents every metric that newMetrics registers (see CheckMetricDocs).
func CheckREADME[C, M, N any](t testing.TB, name string, def func() C,
	newModule func(C) (M, error), newMetrics func(prometheus.Registerer) (N, error)) {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, h := range readmeSections {
		if !strings.Contains(doc, "\n"+h+"\n") {
			t.Errorf("README.md lacks %q", h)
		}
	}
	var ex []string
	if i := strings.Index(doc, "## Example"); i >= 0 {
		ex = tomlBlock.FindStringSubmatch(doc[i:])
	}
	if ex == nil {
		t.Fatal("README.md has no toml example")
	}
	cfg, err := config.Parse("README.md", []byte(ex[1]))
	if err != nil {
		t.Fatal(err)
	}
	mc, ok := cfg.Modules[name]
	if !ok {
		t.Fatalf("the example has no [modules.%s] table", name)
	}
	c := def()
	if err := mc.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if _, err := newModule(c); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	CheckMetricDocs(t, reg, name, doc)
}
