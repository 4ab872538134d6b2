package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestAuthDocExamples parses every TOML example of docs/auth.md as a
// config file, so the examples operators copy are valid. Examples without
// a [general] table get one listing the hosts their [auth.hosts] tables
// name.
func TestAuthDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/auth.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```toml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 5 {
		t.Fatalf("only %d TOML examples in docs/auth.md", len(blocks))
	}
	hostRE := regexp.MustCompile(`\[auth\.hosts\."([^"]+)"\]`)
	for i, b := range blocks {
		src := b[1]
		if !strings.Contains(src, "[general]") {
			hosts := []string{`"localhost"`}
			for _, m := range hostRE.FindAllStringSubmatch(src, -1) {
				hosts = append(hosts, `"`+m[1]+`"`)
			}
			src = "[general]\nhosts = [" + strings.Join(hosts, ", ") + "]\n" + src
		}
		if _, err := Parse("docs/auth.md", []byte(src)); err != nil {
			t.Errorf("example %d:\n%s\n%v", i+1, b[1], err)
		}
	}
}

func TestBackendsFor(t *testing.T) {
	c, err := Parse("meerkat.toml", []byte(`[general]
hosts = ["a.example", "chat.example"]
[auth]
backends = ["internal"]
[auth.hosts."Chat.Example"]
backends = ["anonymous", "internal"]
`))
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"a.example": "internal", "chat.example": "anonymous,internal"} {
		if got := strings.Join(c.Auth.BackendsFor(host), ","); got != want {
			t.Errorf("BackendsFor(%s) = %s, want %s", host, got, want)
		}
	}
}
