package vcard

import (
	"os"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/config"
	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// exchange sends an IQ request with the given id and returns the reply
// with that id, skipping anything else that arrives first.
func exchange(c *xmpptest.Client, id, iq string) *stream.Element {
	c.Send(iq)
	return c.Expect(servertest.IQ(id))
}

// checkResult fails unless el is an IQ result and returns its payload.
func checkResult(t testing.TB, el *stream.Element) *stream.Element {
	t.Helper()
	if el.Attr("type") != "result" {
		t.Fatalf("want an IQ result, got %s", el)
	}
	return el.FirstChild()
}

// checkError fails unless el is an IQ error with condition cond.
func checkError(t testing.TB, el *stream.Element, cond string) {
	t.Helper()
	if el.Attr("type") != "error" || servertest.ErrorCondition(el) != cond {
		t.Fatalf("want an IQ error %s, got %s", cond, el)
	}
}

// moduleTable returns the [modules.<name>] table of a configuration
// example: the TOML file at path or, for a ".md" path, the TOML of its
// ```toml code blocks. ok is false when the example has no such table.
func moduleTable(t testing.TB, path, name string) (m config.Module, ok bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	md := strings.HasSuffix(path, ".md")
	if md {
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
