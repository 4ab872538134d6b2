package stream

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Stream headers for the three content namespaces.
const (
	hdrClient = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' ` +
		`xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>`
	hdrServer = `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' ` +
		`xmlns:db='jabber:server:dialback' from='a.example' to='b.example' version='1.0'>`
	hdrComponent = `<stream:stream xmlns='jabber:component:accept' ` +
		`xmlns:stream='http://etherx.jabber.org/streams' to='muc.example.com'>`
	streamEnd = `</stream:stream>`
)

// diffTree returns "" if a and b are equal trees (names, namespaces,
// attributes in order, children in order), or where they differ.
func diffTree(a, b *Element) string {
	return diffAt("/", a, b)
}

func diffAt(path string, a, b *Element) string {
	if a == nil || b == nil {
		if a == b {
			return ""
		}
		return fmt.Sprintf("%s: %v vs %v", path, a, b)
	}
	path += "{" + a.Space + "}" + a.Local
	if a.Space != b.Space || a.Local != b.Local {
		return fmt.Sprintf("%s: name {%s}%s vs {%s}%s", path, a.Space, a.Local, b.Space, b.Local)
	}
	if len(a.Attrs) != len(b.Attrs) {
		return fmt.Sprintf("%s: %d attributes %v vs %d %v", path, len(a.Attrs), a.Attrs, len(b.Attrs), b.Attrs)
	}
	for i := range a.Attrs {
		if a.Attrs[i] != b.Attrs[i] {
			return fmt.Sprintf("%s: attribute %d: %q vs %q", path, i, a.Attrs[i], b.Attrs[i])
		}
	}
	if len(a.Children) != len(b.Children) {
		return fmt.Sprintf("%s: %d children vs %d", path, len(a.Children), len(b.Children))
	}
	for i := range a.Children {
		x, y := a.Children[i], b.Children[i]
		if (x.Elem == nil) != (y.Elem == nil) {
			return fmt.Sprintf("%s: child %d: element vs text", path, i)
		}
		if x.Elem == nil {
			if x.Text != y.Text {
				return fmt.Sprintf("%s: child %d: text %q vs %q", path, i, x.Text, y.Text)
			}
			continue
		}
		if d := diffAt(fmt.Sprintf("%s/%d:", path, i), x.Elem, y.Elem); d != "" {
			return d
		}
	}
	return ""
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	s string
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.s))
	copy(p, r.s[:k])
	r.s = r.s[k:]
	return k, nil
}

// result is what decoding a whole input gave: the tokens, then the error
// that stopped it.
type result struct {
	toks []Token
	err  error
}

// decodeAll decodes until an error, reading at most chunk bytes at a time
// (0: all at once). It gives up after limit tokens.
func decodeAll(input string, chunk int, lim Limits) result {
	var r io.Reader = strings.NewReader(input)
	if chunk > 0 {
		r = &chunkReader{s: input, n: chunk}
	}
	d := NewDecoder(r, lim)
	var res result
	for range 10000 {
		tok, err := d.Next()
		if err != nil {
			res.err = err
			return res
		}
		res.toks = append(res.toks, tok)
	}
	res.err = errors.New("too many tokens")
	return res
}

// diffResults compares two results token by token and by error kind.
func diffResults(a, b result) string {
	if len(a.toks) != len(b.toks) {
		return fmt.Sprintf("%d tokens (err %v) vs %d (err %v)", len(a.toks), a.err, len(b.toks), b.err)
	}
	for i := range a.toks {
		x, y := a.toks[i], b.toks[i]
		if x.Kind != y.Kind || x.DefaultNS != y.DefaultNS {
			return fmt.Sprintf("token %d: %v %q vs %v %q", i, x.Kind, x.DefaultNS, y.Kind, y.DefaultNS)
		}
		if d := diffTree(x.Elem, y.Elem); d != "" {
			return fmt.Sprintf("token %d: %s", i, d)
		}
	}
	if errKind(a.err) != errKind(b.err) {
		return fmt.Sprintf("error %v vs %v", a.err, b.err)
	}
	return ""
}

// errKind names an error for comparison: its stream condition, EOF or
// unexpected EOF.
func errKind(err error) string {
	var se *Error
	switch {
	case err == nil:
		return "nil"
	case errors.As(err, &se):
		return string(se.Condition)
	case err == io.EOF:
		return "EOF"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected EOF"
	}
	return err.Error()
}
