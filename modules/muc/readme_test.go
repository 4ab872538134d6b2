package muc

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
)

// TestREADME checks README.md's sections, that its example makes a module,
// and that it documents every metric, which promlint accepts.
func TestREADME(t *testing.T) {
	servertest.CheckREADME(t, Name, DefaultConfig, New, newMetrics)
}

// TestConfigExamples checks that README.md's defaults block and the
// shipped meerkat.toml give DefaultConfig.
func TestConfigExamples(t *testing.T) {
	servertest.CheckConfigExamples(t, Name, DefaultConfig, Config.Validate)
}
