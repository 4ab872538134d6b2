package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Module is one [modules.<name>] table, kept as written so that the module
// itself can decode it into its own configuration type with Decode.
type Module struct {
	// Name is the module's name, the <name> of [modules.<name>].
	Name string
	// Raw is the table as parsed: keys map to string, int64, float64,
	// bool, []any, map[string]any or TOML date/time values.
	Raw map[string]any
	// Line is the line of the table's header, 0 when unknown.
	Line int

	file string    // the configuration file, for errors
	key  string    // "modules.<name>", quoted where needed
	pos  positions // where each key of the file is
}

// captureTable keeps a [modules.<name>] table for a later Decode.
func (m *Module) captureTable(d *decoder, key string, raw map[string]any) {
	m.Raw = raw
	m.Line = d.pos.line(key)
	m.file = d.file
	m.key = key
	m.pos = d.pos
}

// Decode fills into, a pointer to the module's configuration struct, from
// the module's table. Decoding is strict: a key that matches no field is an
// error, as is a value of the wrong type. A field's key is its `toml` tag,
// or else its name in snake_case (MaxRooms is max_rooms). Fields whose key
// is absent keep their value, so set the defaults before calling Decode.
// Durations are written as strings ("30s") into Duration or time.Duration
// fields.
//
// The error, if any, is an Errors naming file:line and the full key, such
// as "meerkat.toml:40: modules.muc.max_rooms: expected an integer, got a
// string (\"ten\")".
func (m Module) Decode(into any) error {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("config: Module.Decode needs a non-nil pointer, got %T", into)
	}
	raw := m.Raw
	if raw == nil {
		raw = map[string]any{}
	}
	d := decoder{reporter{file: m.file, pos: m.pos}}
	d.value(m.prefix(), raw, v.Elem())
	return orNil(d.errs)
}

// Errorf returns an Error about key in the module's table, such as
// "rooms[0].name", with the file and line where that key (or else the
// nearest enclosing table) was written. Modules use it to report their own
// validation problems in the same form as the rest of the configuration.
func (m Module) Errorf(key, format string, args ...any) *Error {
	full := m.prefix()
	if key != "" {
		if strings.HasPrefix(key, "[") {
			full += key
		} else {
			full += "." + key
		}
	}
	return &Error{File: m.file, Line: m.pos.line(full), Key: full, Msg: fmt.Sprintf(format, args...)}
}

func (m Module) prefix() string {
	if m.key != "" {
		return m.key
	}
	return joinKey("modules", m.Name)
}

// CheckModules reports each configured module whose name is not in known,
// the modules compiled into the server. The error, if any, is an Errors
// with one entry per unknown module, at the line of its table header:
//
//	meerkat.toml:30: modules.pnig: unknown module (did you mean "ping"?); known modules: disco, ping, roster
func (c *Config) CheckModules(known []string) error {
	list := "this build has no modules"
	if len(known) > 0 {
		sorted := slices.Clone(known)
		slices.Sort(sorted)
		list = "known modules: " + strings.Join(sorted, ", ")
	}
	var errs Errors
	for _, name := range c.ModuleNames() {
		if slices.Contains(known, name) {
			continue
		}
		m := c.Modules[name]
		m.Name = name
		msg := "unknown module; " + list
		if s := suggestName(name, known); s != "" {
			msg = fmt.Sprintf("unknown module (did you mean %q?); %s", s, list)
		}
		errs = append(errs, &Error{File: c.Path, Line: m.Line, Key: m.prefix(), Msg: msg})
	}
	return orNil(errs)
}

func suggestName(name string, known []string) string {
	fields := make(map[string]int, len(known))
	for i, k := range known {
		fields[k] = i
	}
	return suggest(name, fields)
}
