package last

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

// TestREADME checks that README.md has the usual sections, that its example
// configuration parses, decodes strictly and makes a module, and that it
// documents every metric the module registers, which promlint accepts.
func TestREADME(t *testing.T) {
	servertest.CheckREADME(t, Name, DefaultConfig, New, newMetrics)
}
