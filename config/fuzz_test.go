package config

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that every error
// is an Errors whose entries name the file and either a key or (for a
// syntax error, then alone) a line within the input.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		f.Fatal(err)
	}
	seeds := [][]byte{
		example,
		[]byte(""),
		[]byte("[general]\nhosts = [\"Example.com\", \"example.com\", \"[::1]\", \"1.2.3.4\"]\n"),
		[]byte("[[listen.c2s]]\naddress = \":5222\"\n[[listen.c2s]]\nadress = 5\n[listen.http]\naddress = \":5222\"\n"),
		[]byte("[listen]\nc2s = [{ address = \":1\" }, 5, { mode = \"x\" }]\n"),
		[]byte("[modules.muc]\nrooms = [{ name = \"a\" }]\n[[modules.muc.list]]\nx = 1\n[modules.muc.list.y]\n"),
		[]byte("a.b.c = 1\n[\"quoted key\".\"x.y\"]\nz = 2021-01-01T00:00:00Z\nt = 07:00:00\n"),
		[]byte("[[a]]\n[[a.b]]\n[a.b.c]\n[[a]]\n[[a.b]]\nd = [[1, 2], [\"x\"]]\n"),
		[]byte("general = { hosts = [], data_dir = \"\" }\ntls.cert_file = \"c\"\n"),
		[]byte("[general]\nhosts = [\n"),
		[]byte("\uFEFF[log]\r\nlevel = \"debug\"\r\n"),
	}
	for _, s := range seeds {
		f.Add(s)
		// The same input cut at odd places.
		for _, cut := range []int{1, 7, len(s) / 3, len(s) / 2} {
			if cut > 0 && cut < len(s) {
				f.Add(s[:cut])
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.toml", data)
		if err == nil {
			if c == nil {
				t.Fatal("nil Config without an error")
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Parse accepted a Config that Validate refuses: %v", err)
			}
			for _, name := range c.ModuleNames() {
				var anyTable map[string]any
				if err := c.Modules[name].Decode(&anyTable); err != nil {
					t.Fatalf("decoding modules.%s into a map: %v", name, err)
				}
				var strict struct{ X int }
				_ = c.Modules[name].Decode(&strict)
			}
			return
		}
		if c != nil {
			t.Fatal("a Config along with an error")
		}
		errs, ok := err.(Errors)
		if !ok || len(errs) == 0 {
			t.Fatalf("error is %T %v, want a non-empty Errors", err, err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, e := range errs {
			if e.File != "fuzz.toml" {
				t.Errorf("error names file %q: %v", e.File, e)
			}
			if e.Line < 0 || e.Line > lines {
				t.Errorf("line %d outside the input's %d lines: %v", e.Line, lines, e)
			}
			if e.Key == "" && (e.Line == 0 || len(errs) != 1) {
				t.Errorf("an error without a key must be a lone syntax error with a line: %v", err)
			}
			if e.Msg == "" {
				t.Errorf("empty message: %v", e)
			}
		}
	})
}
