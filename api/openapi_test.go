package api_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/meerkat-xmpp/meerkat/api"
	"github.com/meerkat-xmpp/meerkat/config"
)

const openAPIPath = "../docs/api.yaml"

// TestOpenAPIMatchesRoutes checks that docs/api.yaml lists exactly the
// routes the API serves, and every error code; docs/api.md too.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	data, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                               `yaml:"openapi"`
		Paths      map[string]map[string]map[string]any `yaml:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `yaml:"enum"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", openAPIPath, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi: %q, want 3.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if op["operationId"] == nil || op["responses"] == nil {
				t.Errorf("%s %s lacks operationId or responses", method, path)
			}
		}
	}
	var served []string
	for _, r := range api.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("%s documents\n  %v\nthe API serves\n  %v", openAPIPath, documented, served)
	}

	enum := doc.Components.Schemas["Error"].Properties["code"].Enum
	guide, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, c := range api.Codes() {
		codes = append(codes, string(c))
		if !strings.Contains(string(guide), "| `"+string(c)+"` |") {
			t.Errorf("docs/api.md has no table row for error code %s", c)
		}
	}
	slices.Sort(codes)
	slices.Sort(enum)
	if !slices.Equal(codes, enum) {
		t.Errorf("%s Error.code enum\n  %v\nthe API's codes\n  %v", openAPIPath, enum, codes)
	}
}

// TestGuideConfigExample parses the TOML examples of docs/api.md as a
// configuration file, so the guide cannot show keys that do not exist.
func TestGuideConfigExample(t *testing.T) {
	data, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(data), "```toml\n")
	if len(blocks) < 2 {
		t.Fatal("docs/api.md has no TOML example")
	}
	for i, b := range blocks[1:] {
		b, _, _ = strings.Cut(b, "```")
		c, err := config.Parse(fmt.Sprintf("docs/api.md#%d", i), []byte(b))
		if err != nil {
			t.Errorf("example %d: %v", i, err)
			continue
		}
		if !c.API.Enabled {
			t.Errorf("example %d does not enable the API", i)
		}
	}
}
