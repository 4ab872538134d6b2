package config

import "testing"

func TestPositions(t *testing.T) {
	doc := `top = 1
[a]
b.c = 2
[[arr]]
x = 1
[[arr]]
x = [
  1,
  { y = 2 },
]
[[arr.sub]]
[arr.sub.t]
[[arr]]
"q.k" = 3
`
	pos := buildPositions([]byte(doc))
	tests := []struct {
		key  string
		line int
	}{
		{"top", 1},
		{"a", 2},
		{"a.b", 3},
		{"a.b.c", 3},
		{"arr", 4},
		{"arr[0]", 4},
		{"arr[0].x", 5},
		{"arr[1]", 6},
		{"arr[1].x", 7},
		{"arr[1].x[0]", 8},
		{"arr[1].x[1]", 9},
		{"arr[1].x[1].y", 9},
		{"arr[1].sub", 11},
		{"arr[1].sub[0]", 11},
		{"arr[1].sub[0].t", 12},
		{"arr[2]", 13},
		{`arr[2]."q.k"`, 14},
		// Absent keys take the line of their table, and no further.
		{"arr[2].missing", 13},
		{"a.b.missing", 3},
		{"arr[1].sub[0].t.u.v", 0},
		{"nowhere", 0},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := pos.line(tt.key); got != tt.line {
				t.Errorf("line(%s) = %d, want %d", tt.key, got, tt.line)
			}
		})
	}
}

func TestParentKey(t *testing.T) {
	tests := []struct {
		key, parent string
		ok          bool
	}{
		{"a", "", false},
		{"a.b", "a", true},
		{"a.b[3]", "a.b", true},
		{"a[0].b", "a[0]", true},
		{`modules."x.y"`, "modules", true},
		{`modules."x.y".z`, `modules."x.y"`, true},
		{`modules."a\"[b"[1]`, `modules."a\"[b"`, true},
		{`"only.one"`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := parentKey(tt.key)
			if got != tt.parent || ok != tt.ok {
				t.Errorf("parentKey(%s) = %q, %v; want %q, %v", tt.key, got, ok, tt.parent, tt.ok)
			}
		})
	}
}
