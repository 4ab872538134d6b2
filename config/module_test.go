package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// roomConfig is a module configuration with a default per element.
type roomConfig struct {
	Name       string `toml:"name"`
	Persistent bool   `toml:"persistent"`
	MaxUsers   int    `toml:"max_users"`
}

func (r *roomConfig) SetDefaults() { r.MaxUsers = 100 }

// mucConfig stands for a module's own configuration type.
type mucConfig struct {
	Host        string             // no tag: the key is "host"
	MaxRooms    uint16             // no tag: the key is "max_rooms"
	IdleTimeout time.Duration      `toml:"idle_timeout"`
	History     Duration           `toml:"history"`
	Ratio       float64            `toml:"ratio"`
	Admins      []string           `toml:"admins"`
	Rooms       []roomConfig       `toml:"rooms"`
	Limits      map[string]int     `toml:"limits"`
	Extra       map[string]any     `toml:"extra"`
	Nested      struct{ Deep int } `toml:"nested"`
	Optional    *int               `toml:"optional"`
	Ignored     string             `toml:"-"`
	internal    int
}

func defaultMUC() mucConfig {
	return mucConfig{Host: "conference.localhost", MaxRooms: 10, IdleTimeout: time.Hour, internal: 1}
}

func TestModuleDecode(t *testing.T) {
	seven := 7
	tests := []struct {
		name string
		toml string // the file; the module under test is "muc"
		want func(*mucConfig)
		errs []string
	}{
		{"empty table keeps defaults", "[modules.muc]\n", func(*mucConfig) {}, nil},
		{"every kind of value", `[general]
hosts = ["example.com"]

[modules.muc]
host = "muc.example.com"
max_rooms = 500
idle_timeout = "2h"
history = "30m"
ratio = 2
admins = ["a@example.com", "b@example.com"]
limits = { per_user = 5 }
extra = { anything = [1, "two"] }
nested.deep = 3
optional = 7

[[modules.muc.rooms]]
name = "lobby"
persistent = true

[[modules.muc.rooms]]
name = "big"
max_users = 1000
`, func(c *mucConfig) {
			c.Host = "muc.example.com"
			c.MaxRooms = 500
			c.IdleTimeout = 2 * time.Hour
			c.History = Duration(30 * time.Minute)
			c.Ratio = 2
			c.Admins = []string{"a@example.com", "b@example.com"}
			c.Limits = map[string]int{"per_user": 5}
			c.Extra = map[string]any{"anything": []any{int64(1), "two"}}
			c.Nested.Deep = 3
			c.Optional = &seven
			c.Rooms = []roomConfig{
				{Name: "lobby", Persistent: true, MaxUsers: 100},
				{Name: "big", MaxUsers: 1000},
			}
		}, nil},
		{"unknown keys and bad types, all reported", `[modules.muc]
hots = "x"
max_rooms = "ten"
idle_timeout = 30
history = "soon"
ignored = "x"
internal = 1

[[modules.muc.rooms]]
name = "lobby"
persistant = true

[[modules.muc.rooms]]
max_users = "many"
`, nil, []string{
			`meerkat.toml:2: modules.muc.hots: unknown key (did you mean "host"?)`,
			`meerkat.toml:3: modules.muc.max_rooms: expected an integer, got a string ("ten")`,
			`meerkat.toml:4: modules.muc.idle_timeout: expected a duration string such as "30s", got an integer (30)`,
			`meerkat.toml:5: modules.muc.history: invalid duration "soon": write a number and a unit, such as "30s", "5m" or "1h30m"`,
			`meerkat.toml:6: modules.muc.ignored: unknown key`,
			`meerkat.toml:7: modules.muc.internal: unknown key`,
			`meerkat.toml:11: modules.muc.rooms[0].persistant: unknown key (did you mean "persistent"?)`,
			`meerkat.toml:14: modules.muc.rooms[1].max_users: expected an integer, got a string ("many")`,
		}},
		{"out of range", "[modules.muc]\nmax_rooms = 70000\n", nil, []string{
			`meerkat.toml:2: modules.muc.max_rooms: 70000 is out of range for this setting`,
		}},
		{"negative for unsigned", "[modules.muc]\nmax_rooms = -1\n", nil, []string{
			`meerkat.toml:2: modules.muc.max_rooms: -1 is out of range for this setting`,
		}},
		{"inline module table", "[modules]\nmuc = { host = 5 }\n", nil, []string{
			`meerkat.toml:2: modules.muc.host: expected a string, got an integer (5)`,
		}},
		{"nested table by dotted key", "[modules.muc]\nnested.dep = 1\n", nil, []string{
			`meerkat.toml:2: modules.muc.nested.dep: unknown key (did you mean "deep"?)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("meerkat.toml", []byte(tt.toml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			m, ok := c.Modules["muc"]
			if !ok {
				t.Fatal("no modules.muc")
			}
			got := defaultMUC()
			err = m.Decode(&got)
			if tt.errs != nil {
				checkErrors(t, err, tt.errs)
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want := defaultMUC()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Decode:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestModuleDecodeNeedsPointer(t *testing.T) {
	var m Module
	var cfg mucConfig
	for _, into := range []any{nil, cfg, (*mucConfig)(nil)} {
		err := m.Decode(into)
		if err == nil || !strings.Contains(err.Error(), "non-nil pointer") {
			t.Errorf("Decode(%T) = %v, want a non-nil pointer error", into, err)
		}
	}
	// A Module built in code decodes from its Raw table.
	m = Module{Name: "muc", Raw: map[string]any{"host": int64(1)}}
	checkErrors(t, m.Decode(&cfg), []string{`modules.muc.host: expected a string, got an integer (1)`})
}

func TestModuleErrorf(t *testing.T) {
	c, err := Parse("meerkat.toml", []byte("[modules.muc]\nhost = \"x\"\n\n[[modules.muc.rooms]]\nname = \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Modules["muc"]
	tests := []struct {
		name, key, want string
	}{
		{"key", "host", `meerkat.toml:2: modules.muc.host: must be a subdomain`},
		{"element key", "rooms[0].name", `meerkat.toml:5: modules.muc.rooms[0].name: must be a subdomain`},
		{"missing key uses its table", "rooms[0].max_users", `meerkat.toml:4: modules.muc.rooms[0].max_users: must be a subdomain`},
		{"missing key in module table", "max_rooms", `meerkat.toml:1: modules.muc.max_rooms: must be a subdomain`},
		{"whole table", "", `meerkat.toml:1: modules.muc: must be a subdomain`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Errorf(tt.key, "must be a %s", "subdomain").Error(); got != tt.want {
				t.Errorf("Errorf(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestCheckModules(t *testing.T) {
	c, err := Parse("meerkat.toml", []byte("[modules.ping]\n\n[modules.pnig]\n\n[modules.roster]\nx = 1\n\n[modules.\"weird name\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		known []string
		want  []string
	}{
		{"all known", []string{"roster", "weird name", "pnig", "ping"}, nil},
		{"unknown ones at their lines", []string{"roster", "ping", "disco"}, []string{
			`meerkat.toml:3: modules.pnig: unknown module (did you mean "ping"?); known modules: disco, ping, roster`,
			`meerkat.toml:8: modules."weird name": unknown module; known modules: disco, ping, roster`,
		}},
		{"no modules compiled in", nil, []string{
			`meerkat.toml:1: modules.ping: unknown module; this build has no modules`,
			`meerkat.toml:3: modules.pnig: unknown module; this build has no modules`,
			`meerkat.toml:5: modules.roster: unknown module; this build has no modules`,
			`meerkat.toml:8: modules."weird name": unknown module; this build has no modules`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckModules(tt.known)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckModules: %v", err)
				}
				return
			}
			checkErrors(t, err, tt.want)
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"all parts", Error{"meerkat.toml", 12, "listen.c2s[0].mode", "must be one of starttls, direct, plain"},
			"meerkat.toml:12: listen.c2s[0].mode: must be one of starttls, direct, plain"},
		{"no line", Error{"meerkat.toml", 0, "listen.http.address", "bad"}, "meerkat.toml: listen.http.address: bad"},
		{"no key", Error{"meerkat.toml", 3, "", "expected newline"}, "meerkat.toml:3: expected newline"},
		{"no file", Error{"", 0, "log.level", "bad"}, "log.level: bad"},
		{"no file with line", Error{"", 4, "log.level", "bad"}, "line 4: log.level: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorsAs(t *testing.T) {
	_, err := Parse("meerkat.toml", []byte("[log]\nlevel = \"x\"\nformat = \"y\"\n"))
	wrapped := errors.Join(errors.New("starting"), err)

	var list Errors
	if !errors.As(wrapped, &list) || len(list) != 2 {
		t.Errorf("errors.As(Errors) = %v", list)
	}
	var ptr *Errors
	if !errors.As(wrapped, &ptr) || ptr == nil || len(*ptr) != 2 {
		t.Errorf("errors.As(*Errors) = %v", ptr)
	}
	var one *Error
	if !errors.As(err, &one) || one.Key != "log.level" || one.Line != 2 {
		t.Errorf("errors.As(*Error) = %+v", one)
	}
	if got := len(list.Unwrap()); got != 2 {
		t.Errorf("Unwrap() has %d errors, want 2", got)
	}
}
