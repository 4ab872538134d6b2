package storage

import (
	"regexp"
	"testing"
)

// TestOps keeps operation names fit for a metrics label: unique, few and
// snake_case.
func TestOps(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	seen := map[string]bool{}
	for _, op := range Ops() {
		if !valid.MatchString(op) {
			t.Errorf("%q is not snake_case", op)
		}
		if seen[op] {
			t.Errorf("%q listed twice", op)
		}
		seen[op] = true
	}
}
