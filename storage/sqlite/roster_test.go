package sqlite

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestGroupsColumn(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		col  string // what encodeGroups writes
		fast bool   // splitGroups decodes it without encoding/json
	}{
		{"none", nil, `[]`, true},
		{"one", []string{"Friends"}, `["Friends"]`, true},
		{"several", []string{"", "A", "Ärger", "家族"}, `["","A","Ärger","家族"]`, true},
		{"markup stays readable", []string{"<b>&amp;</b>"}, `["<b>&amp;</b>"]`, true},
		{"separators inside", []string{`a","b`, "[x]", ","}, `["a\",\"b","[x]",","]`, false},
		{"escapes", []string{"tab\t", `back\slash`, "\u2028", "\x01"}, `["tab\t","back\\slash","\u2028","\u0001"]`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col, err := encodeGroups(tc.in)
			if err != nil || col != tc.col {
				t.Fatalf("encodeGroups = %s, %v; want %s", col, err, tc.col)
			}
			if _, ok := splitGroups([]byte(col)); ok != tc.fast {
				t.Errorf("splitGroups ok = %v, want %v", ok, tc.fast)
			}
			got, err := decodeGroups([]byte(col))
			if err != nil || !slices.Equal(got, tc.in) || (got == nil) != (tc.in == nil) {
				t.Fatalf("decodeGroups = %#v, %v; want %#v", got, err, tc.in)
			}
		})
	}
	for _, bad := range []string{``, `[`, `["a"`, `["a",]`, `[1]`, `{"a":1}`, `["a""b"]`, `["a"]x`} {
		if gs, err := decodeGroups([]byte(bad)); err == nil {
			t.Errorf("decodeGroups(%s) = %q, want an error", bad, gs)
		}
	}
	// Arrays written by hand, with spaces, still read.
	if gs, err := decodeGroups([]byte(` [ "a" , "b" ] `)); err != nil || !slices.Equal(gs, []string{"a", "b"}) {
		t.Errorf("spaced array: %q, %v", gs, err)
	}
}

// FuzzGroupsColumn checks that whatever splitGroups accepts, it reads as
// encoding/json does, and that encodeGroups then decodeGroups is exact.
func FuzzGroupsColumn(f *testing.F) {
	for _, s := range []string{`[]`, `["a"]`, `["a","b"]`, `["",""]`, `["a\"b"]`, `["\u00e9"]`, `[ "a" ]`, `["a",`, `[""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, col []byte) {
		if fast, ok := splitGroups(col); ok {
			var slow []string
			if err := json.Unmarshal(col, &slow); err != nil {
				t.Fatalf("splitGroups accepted %q, which encoding/json refuses: %v", col, err)
			}
			if !slices.Equal(fast, slow) {
				t.Fatalf("%q: splitGroups %q, encoding/json %q", col, fast, slow)
			}
		}
		// Round trip: the column's bytes as groups (when valid UTF-8).
		var gs []string
		if json.Unmarshal(col, &gs) != nil || len(gs) == 0 {
			return
		}
		enc, err := encodeGroups(gs)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeGroups([]byte(enc))
		if err != nil || !slices.Equal(back, gs) {
			t.Fatalf("%q → %s → %q, %v", gs, enc, back, err)
		}
	})
}
