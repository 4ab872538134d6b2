package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"

	toml "github.com/pelletier/go-toml/v2"
)

// Defaulter is implemented by configuration structs that fill in their own
// defaults. When decoding creates a new element of an array or a new map
// entry (each [[listen.c2s]] table, for one), it calls SetDefaults on the
// element before filling it from the file, so keys left out keep their
// defaults. Module configuration types may implement it too.
type Defaulter interface {
	SetDefaults()
}

// decoder fills Go values from the tree toml.Unmarshal builds
// (map[string]any, []any, string, int64, float64, bool and date/time
// values), strictly: every key must match a field, every value its type.
// It records every problem instead of stopping at the first.
type decoder struct {
	reporter
}

// reporter collects problems, each at the line where its key is written.
type reporter struct {
	file string
	pos  positions
	errs Errors
}

func (r *reporter) fail(key, format string, args ...any) {
	r.failAt(key, key, format, args...)
}

// failAt reports a problem with key at the line of lineKey.
func (r *reporter) failAt(lineKey, key, format string, args ...any) {
	r.errs = append(r.errs, &Error{File: r.file, Line: r.pos.line(lineKey), Key: key, Msg: fmt.Sprintf(format, args...)})
}

var (
	durationType  = reflect.TypeFor[Duration]()
	stdDuration   = reflect.TypeFor[time.Duration]()
	unmarshalerTy = reflect.TypeFor[encoding.TextUnmarshaler]()
	defaulterType = reflect.TypeFor[Defaulter]()
	tableCaptor   = reflect.TypeFor[tableCapturer]()
)

// tableCapturer is a type that keeps its table as it is, for a later
// decode (Module).
type tableCapturer interface {
	captureTable(d *decoder, key string, raw map[string]any)
}

// value decodes raw into v, which must be settable, and reports whether it
// did. On a problem at this level v keeps its value (its default), so
// that validation does not report the same key again; an array with one
// bad element keeps its previous value whole. key names the value in
// error messages.
func (d *decoder) value(key string, raw any, v reflect.Value) bool {
	t := v.Type()
	if reflect.PointerTo(t).Implements(tableCaptor) {
		m, ok := raw.(map[string]any)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		v.Addr().Interface().(tableCapturer).captureTable(d, key, m)
		return true
	}
	if t == stdDuration {
		s, ok := raw.(string)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		var dur Duration
		if err := dur.UnmarshalText([]byte(s)); err != nil {
			d.fail(key, "%s", err.Error())
			return false
		}
		v.SetInt(int64(dur))
		return true
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerTy) {
		if rv := reflect.ValueOf(raw); rv.IsValid() && rv.Type() == t {
			v.Set(rv) // time.Time and the like, given as TOML date-times
			return true
		}
		s, ok := raw.(string)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		// Decode into a copy so that a failed decode leaves v alone.
		tmp := reflect.New(t)
		tmp.Elem().Set(v)
		if err := tmp.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.fail(key, "%s", err.Error())
			return false
		}
		v.Set(tmp.Elem())
		return true
	}

	switch t.Kind() {
	case reflect.Interface:
		if raw == nil || !reflect.TypeOf(raw).Implements(t) {
			return d.mismatch(key, t, raw)
		}
		v.Set(reflect.ValueOf(raw))
	case reflect.Pointer:
		p := v
		if v.IsNil() {
			p = reflect.New(t.Elem())
		}
		if !d.value(key, raw, p.Elem()) {
			return false
		}
		v.Set(p)
	case reflect.Bool:
		b, ok := raw.(bool)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		v.SetBool(b)
	case reflect.String:
		s, ok := raw.(string)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := raw.(int64)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		if v.OverflowInt(n) {
			d.fail(key, "%d is out of range for this setting", n)
			return false
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := raw.(int64)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		if n < 0 || v.OverflowUint(uint64(n)) {
			d.fail(key, "%d is out of range for this setting", n)
			return false
		}
		v.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		switch n := raw.(type) {
		case float64:
			v.SetFloat(n)
		case int64:
			v.SetFloat(float64(n))
		default:
			return d.mismatch(key, t, raw)
		}
	case reflect.Slice, reflect.Array:
		arr, ok := raw.([]any)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		var s reflect.Value
		if t.Kind() == reflect.Slice {
			s = reflect.MakeSlice(t, len(arr), len(arr))
		} else {
			if len(arr) != t.Len() {
				d.fail(key, "expected an array of %d elements, got %d", t.Len(), len(arr))
				return false
			}
			s = reflect.New(t).Elem()
		}
		all := true
		for i, el := range arr {
			e := s.Index(i)
			setDefaults(e)
			if !d.value(indexKey(key, i), el, e) {
				all = false
			}
		}
		if !all {
			return false
		}
		v.Set(s)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			d.fail(key, "cannot decode into Go type %s: map keys must be strings", t)
			return false
		}
		m, ok := raw.(map[string]any)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(m)))
		}
		for _, name := range sortedKeys(m) {
			e := reflect.New(t.Elem()).Elem()
			mk := reflect.ValueOf(name).Convert(t.Key())
			if old := v.MapIndex(mk); old.IsValid() {
				e.Set(old)
			} else {
				setDefaults(e)
			}
			if d.value(joinKey(key, name), m[name], e) {
				v.SetMapIndex(mk, e)
			}
		}
	case reflect.Struct:
		m, ok := raw.(map[string]any)
		if !ok {
			return d.mismatch(key, t, raw)
		}
		d.fields(key, m, v)
	default:
		d.fail(key, "cannot decode into Go type %s", t)
		return false
	}
	return true
}

// fields decodes a table into a struct, field by field, and reports every
// key of the table that matches no field.
func (d *decoder) fields(key string, m map[string]any, v reflect.Value) {
	fields := structFields(v.Type())
	for _, name := range sortedKeys(m) {
		idx, ok := fields[name]
		if !ok {
			d.unknown(joinKey(key, name), name, m[name], fields)
			continue
		}
		d.value(joinKey(key, name), m[name], v.Field(idx))
	}
}

func (d *decoder) unknown(key, name string, raw any, fields map[string]int) {
	what := "key"
	if _, ok := raw.(map[string]any); ok {
		what = "table"
	}
	if s := suggest(name, fields); s != "" {
		d.fail(key, "unknown %s (did you mean %q?)", what, s)
		return
	}
	d.fail(key, "unknown %s", what)
}

// structFields maps the TOML key of each exported field to its index: the
// `toml` tag's name, or the field name in snake_case. A tag of "-" leaves
// the field out.
func structFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("toml"); ok {
			name, _, _ = strings.Cut(tag, ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = snakeCase(f.Name)
			}
		} else {
			name = snakeCase(f.Name)
		}
		fields[name] = i
	}
	return fields
}

// snakeCase turns a Go field name into a TOML key: MaxStanzaBytes becomes
// max_stanza_bytes and SCRAMIterations scram_iterations.
func snakeCase(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			// A word starts after a lower-case letter ("maxS"), and at
			// the last capital of an acronym or after digits when a
			// lower-case letter follows ("SCRAMIterations", "Base64Data").
			if i > 0 && (unicode.IsLower(r[i-1]) || nextLower) {
				b.WriteByte('_')
			}
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

func setDefaults(v reflect.Value) {
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(defaulterType) {
		v.Addr().Interface().(Defaulter).SetDefaults()
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mismatch reports a value of the wrong TOML type, and returns false.
func (d *decoder) mismatch(key string, want reflect.Type, raw any) bool {
	d.fail(key, "expected %s, got %s", describeType(want), describeValue(raw))
	return false
}

// describeType names the TOML type a Go type is written as.
func describeType(t reflect.Type) string {
	switch {
	case t == durationType || t == stdDuration:
		return `a duration string such as "30s"`
	case reflect.PointerTo(t).Implements(tableCaptor):
		return "a table"
	case reflect.PointerTo(t).Implements(unmarshalerTy):
		return "a string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "a table"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return "a value of Go type " + t.String()
}

// describeValue names a value from the TOML tree, with the value itself
// when it is short.
func describeValue(raw any) string {
	switch x := raw.(type) {
	case string:
		if len(x) > 40 {
			return "a string"
		}
		return fmt.Sprintf("a string (%q)", x)
	case int64:
		return fmt.Sprintf("an integer (%d)", x)
	case float64:
		return fmt.Sprintf("a float (%v)", x)
	case bool:
		return fmt.Sprintf("a boolean (%t)", x)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDateTime:
		return "a date-time"
	case toml.LocalDate:
		return "a date"
	case toml.LocalTime:
		return "a time"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a %T", raw)
}

// suggest returns the field name closest to a misspelt key, or "".
func suggest(name string, fields map[string]int) string {
	best, bestDist := "", 3
	for f := range fields {
		dist := editDistance(name, f)
		if dist < bestDist || dist == bestDist && best != "" && f < best {
			best, bestDist = f, dist
		}
	}
	if bestDist >= len(name) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // long keys are not typos of short ones
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
