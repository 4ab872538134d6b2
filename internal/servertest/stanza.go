package servertest

import (
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/xmpptest"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Bare returns the bare part of a JID string.
func Bare(j string) string { b, _, _ := strings.Cut(j, "/"); return b }

// Presence matches a presence stanza of type typ ("" for available) from
// the JID from.
func Presence(from, typ string) func(*stream.Element) bool {
	return func(el *stream.Element) bool {
		return el.Local == "presence" && el.Attr("from") == from && el.Attr("type") == typ
	}
}

// IQ matches the IQ with the given id.
func IQ(id string) func(*stream.Element) bool {
	return func(el *stream.Element) bool { return el.Local == "iq" && el.Attr("id") == id }
}

// ID matches any stanza with the given id.
func ID(id string) func(*stream.Element) bool {
	return func(el *stream.Element) bool { return el.Attr("id") == id }
}

// Exchange sends stanza and returns its reply: the first stanza of the
// same kind (iq, message or presence) with the given id, skipping
// anything else that arrives first.
func Exchange(c *xmpptest.Client, id, stanza string) *stream.Element {
	kind := strings.TrimPrefix(stanza, "<")
	if i := strings.IndexAny(kind, " \t\r\n/>"); i >= 0 {
		kind = kind[:i]
	}
	c.Send(stanza)
	return c.Expect(func(el *stream.Element) bool { return el.Local == kind && el.Attr("id") == id })
}

// CheckResult fails unless el is an IQ result and returns its payload
// (nil for an empty result).
func CheckResult(t testing.TB, el *stream.Element) *stream.Element {
	t.Helper()
	if el.Attr("type") != "result" {
		t.Fatalf("want an IQ result, got %s", el)
	}
	return el.FirstChild()
}

// CheckError fails unless el is an error stanza with the defined
// condition cond.
func CheckError(t testing.TB, el *stream.Element, cond string) {
	t.Helper()
	if el.Attr("type") != "error" || ErrorCondition(el) != cond {
		t.Fatalf("want a %s error, got %s", cond, el)
	}
}

// ErrorCondition returns the defined condition of a stanza error, or "".
func ErrorCondition(el *stream.Element) string {
	for c := range el.Child(el.Space, "error").Elements() {
		if c.Space == stream.NSStanzaErr && c.Local != "text" {
			return c.Local
		}
	}
	return ""
}
