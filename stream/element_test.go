package stream

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestElementAccessors(t *testing.T) {
	e, err := DecodeElement([]byte(`<iq xmlns='jabber:client' xmlns:p='urn:p' type='get' p:x='1' xml:lang='en'>`+
		`a<query xmlns='jabber:iq:roster'/>b<![CDATA[c]]><p:other/>d</iq>`), DefaultLimits(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !e.Is(NSClient, "iq") || e.Is(NSClient, "message") || (*Element)(nil).Is("", "") {
		t.Error("Is")
	}
	if e.Attr("type") != "get" || e.Attr("x") != "" || e.AttrNS("urn:p", "x") != "1" || e.AttrNS(NSXML, "lang") != "en" {
		t.Error("Attr/AttrNS")
	}
	if !e.HasAttr("type") || e.HasAttr("x") {
		t.Error("HasAttr")
	}
	if e.FirstChild() == nil || !e.FirstChild().Is("jabber:iq:roster", "query") || e.ChildCount() != 2 {
		t.Error("FirstChild/ChildCount")
	}
	var names []string
	for c := range e.Elements() {
		names = append(names, c.Local)
	}
	if !slices.Equal(names, []string{"query", "other"}) {
		t.Errorf("Elements: %v", names)
	}
	if e.Text() != "abcd" {
		t.Errorf("Text: %q", e.Text())
	}
	c := e.ShallowCopy()
	c.SetAttr("type", "set")
	c.RemoveAttr("type")
	c.AddChild(el("", "new"))
	if e.Attr("type") != "get" || e.ChildCount() != 2 {
		t.Error("ShallowCopy shares slices")
	}
	d := e.DeepCopy()
	d.FirstChild().SetAttr("ver", "1")
	if e.FirstChild().HasAttr("ver") {
		t.Error("DeepCopy shares children")
	}
	if err := E(Conflict, "replaced"); err.Error() != "stream error: conflict: replaced" ||
		E(Conflict, "").Error() != "stream error: conflict" || !errors.Is(err, &Error{Condition: Conflict}) {
		t.Errorf("Error: %v", err)
	}
}

// TestStanzaSizeBoundary checks that a stanza of exactly MaxStanzaBytes
// passes and one byte more does not, however it is read.
func TestStanzaSizeBoundary(t *testing.T) {
	const limit = 300
	stanza := func(n int) string {
		s := `<message><body>`
		return s + strings.Repeat("x", n-len(s)-len(`</body></message>`)) + `</body></message>`
	}
	for _, chunk := range chunkings {
		res := decodeAll(hdrClient+stanza(limit)+stanza(limit+1), chunk, Limits{MaxStanzaBytes: limit})
		if len(res.toks) != 2 || !errors.Is(res.err, &Error{Condition: PolicyViolation}) {
			t.Fatalf("chunk %d: %d tokens, %v", chunk, len(res.toks), res.err)
		}
	}
	if _, err := DecodeElement([]byte(stanza(limit)), Limits{MaxStanzaBytes: limit}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeElement([]byte(stanza(limit+1)), Limits{MaxStanzaBytes: limit}, ""); !errors.Is(err, &Error{Condition: PolicyViolation}) {
		t.Fatal(err)
	}
}
