package config

import (
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// positions maps each dotted key of a parsed file (with array indices, in
// the form joinKey and indexKey write) to the 1-based line where it is
// defined: the line of the key for a key/value pair, the line of the header
// for a table, the line of the element for an array element.
type positions map[string]int

// line returns the line of key, or else of the table that holds it, or 0.
// A required key missing from its table thus reports the line of the table
// header, while a problem in a table the file does not have reports no
// line.
func (p positions) line(key string) int {
	if l, ok := p[key]; ok {
		return l
	}
	if parent, ok := parentKey(key); ok {
		return p[parent]
	}
	return 0
}

// joinKey appends one part to a dotted key. Parts that are not bare TOML
// keys are quoted, so that the result reads as TOML.
func joinKey(prefix, part string) string {
	if !isBareKey(part) {
		part = strconv.Quote(part)
	}
	if prefix == "" {
		return part
	}
	return prefix + "." + part
}

// indexKey appends an array index to a dotted key: listen.c2s[1].
func indexKey(prefix string, i int) string {
	return prefix + "[" + strconv.Itoa(i) + "]"
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parentKey strips the last part (".name" or "[i]") from a key written by
// joinKey and indexKey. It reports false for a key of one part.
func parentKey(key string) (string, bool) {
	last := -1
	for i := 0; i < len(key); {
		switch key[i] {
		case '.':
			last = i
			i++
		case '[':
			last = i
			j := strings.IndexByte(key[i:], ']')
			if j < 0 {
				return "", false
			}
			i += j + 1
		case '"':
			q, err := strconv.QuotedPrefix(key[i:])
			if err != nil {
				return "", false
			}
			i += len(q)
		default:
			i++
		}
	}
	if last <= 0 {
		return "", false
	}
	return key[:last], true
}

// buildPositions walks the document with go-toml's position-aware parser.
// The document must already have been accepted by toml.Unmarshal, which
// checks what this walk takes for granted (no redefined keys or tables).
func buildPositions(data []byte) positions {
	w := posWalker{
		pos:    positions{},
		counts: map[string]int{},
		lines:  lineStarts(data),
	}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			w.keyValue(table, e)
		case unstable.Table:
			table = w.header(e, false)
		case unstable.ArrayTable:
			table = w.header(e, true)
		}
	}
	return w.pos
}

type posWalker struct {
	pos positions
	// counts holds, for each array of tables (by its key with the
	// indices of enclosing arrays), the number of elements seen so far.
	counts map[string]int
	// lines holds the offset at which each line starts.
	lines []int
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineAt returns the 1-based line of a byte offset.
func (w *posWalker) lineAt(offset uint32) int {
	return sort.Search(len(w.lines), func(i int) bool { return w.lines[i] > int(offset) })
}

// nodeLine returns the line where a value node starts, or fallback when
// the parser recorded no position for it (arrays have none).
func (w *posWalker) nodeLine(n *unstable.Node, fallback int) int {
	if n.Raw.Length > 0 {
		return w.lineAt(n.Raw.Offset)
	}
	if n.Kind == unstable.Array {
		it := n.Children()
		for it.Next() {
			if c := it.Node(); c.Kind != unstable.Comment {
				return w.nodeLine(c, fallback)
			}
		}
	}
	return fallback
}

func (w *posWalker) setIfAbsent(key string, line int) {
	if _, ok := w.pos[key]; !ok {
		w.pos[key] = line
	}
}

// header records a [table] or [[array table]] header and returns the key of
// the table it opens.
func (w *posWalker) header(n *unstable.Node, array bool) string {
	it := n.Key()
	key, line, last := "", 0, ""
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = w.lineAt(k.Raw.Offset)
		}
		if last != "" {
			key = joinKey(key, last)
			// A header names the latest element of an array of
			// tables it passes through: [a.b] after [[a]] is a[n].b.
			if c := w.counts[key]; c > 0 {
				key = indexKey(key, c-1)
			}
			w.setIfAbsent(key, line)
		}
		last = string(k.Data)
	}
	key = joinKey(key, last)
	if !array {
		w.pos[key] = line
		return key
	}
	n2 := w.counts[key]
	w.counts[key] = n2 + 1
	w.setIfAbsent(key, line)
	key = indexKey(key, n2)
	w.pos[key] = line
	return key
}

// keyValue records a key/value pair (possibly with a dotted key) in table,
// and the elements of its value.
func (w *posWalker) keyValue(table string, n *unstable.Node) {
	it := n.Key()
	key, line := table, 0
	first := true
	for it.Next() {
		k := it.Node()
		if first {
			line = w.lineAt(k.Raw.Offset)
			first = false
		} else {
			w.setIfAbsent(key, line)
		}
		key = joinKey(key, string(k.Data))
	}
	w.pos[key] = line
	w.value(key, n.Value(), line)
}

func (w *posWalker) value(key string, n *unstable.Node, line int) {
	switch n.Kind {
	case unstable.Array:
		i := 0
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			ek := indexKey(key, i)
			el := w.nodeLine(c, line)
			w.pos[ek] = el
			w.value(ek, c, el)
			i++
		}
	case unstable.InlineTable:
		it := n.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				w.keyValue(key, c)
			}
		}
	}
}
