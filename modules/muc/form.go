package muc

import "github.com/meerkat-xmpp/meerkat/stream"

// form is a submitted XEP-0004 data form: var → values.
type form map[string][]string

// parseForm reads the fields of a jabber:x:data element (nil: empty).
func parseForm(x *stream.Element) form {
	f := form{}
	for fl := range x.Elements() {
		if !fl.Is(NSData, "field") || fl.Attr("var") == "" {
			continue
		}
		var vals []string
		for v := range fl.Elements() {
			if v.Is(NSData, "value") {
				vals = append(vals, v.Text())
			}
		}
		f[fl.Attr("var")] = vals
	}
	return f
}

func formType(x *stream.Element) string {
	if x == nil {
		return ""
	}
	return parseForm(x).get("FORM_TYPE")
}

func (f form) has(k string) bool { _, ok := f[k]; return ok }

func (f form) get(k string) string {
	if v := f[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// bool reads an XEP-0004 boolean ("1" or "true").
func (f form) bool(k string) bool {
	v := f.get(k)
	return v == "1" || v == "true"
}

// field builds a form field with one or more values.
func field(v, typ, label string, values ...string) *stream.Element {
	f := stream.NewElement(NSData, "field", "var", v)
	if typ != "" {
		f.SetAttr("type", typ)
	}
	if label != "" {
		f.SetAttr("label", label)
	}
	for _, x := range values {
		f.AddChild(stream.NewElement(NSData, "value").AddText(x))
	}
	return f
}

func hidden(v, value string) *stream.Element { return field(v, "hidden", "", value) }

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func option(f *stream.Element, label, value string) {
	o := stream.NewElement(NSData, "option", "label", label)
	o.AddChild(stream.NewElement(NSData, "value").AddText(value))
	f.AddChild(o)
}
