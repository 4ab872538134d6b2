package bosh

import (
	"strconv"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// Namespaces of XEP-0124 and XEP-0206.
const (
	NSBind  = "http://jabber.org/protocol/httpbind"
	NSXBOSH = "urn:xmpp:xbosh"
)

// body is one parsed request <body/>.
type body struct {
	rid     int64
	sid     string
	typ     string // "" or "terminate"
	to      string
	lang    string
	version string // xmpp:version
	ver     string // BOSH protocol version
	wait    int
	hold    int
	hasWait bool
	hasHold bool
	restart bool
	payload []byte // the children, serialized with jabber:client as default namespace
	empty   bool
}

// parseBody parses and checks a request body (XEP-0124 §7, §8). Errors are
// the XEP's conditions: bad-request for anything malformed.
func parseBody(raw []byte, lim stream.Limits) (*body, error) {
	el, err := stream.DecodeElement(raw, lim, "")
	if err != nil {
		return nil, errBadRequest
	}
	if !el.Is(NSBind, "body") {
		return nil, errBadRequest
	}
	b := &body{sid: el.Attr("sid"), typ: el.Attr("type"), to: el.Attr("to"),
		lang: el.AttrNS(stream.NSXML, "lang"), version: el.AttrNS(NSXBOSH, "version"), ver: el.Attr("ver")}
	b.rid, err = strconv.ParseInt(el.Attr("rid"), 10, 64)
	if err != nil || b.rid <= 0 || b.rid > 1<<53 {
		return nil, errBadRequest
	}
	if b.typ != "" && b.typ != "terminate" {
		return nil, errBadRequest
	}
	if v := el.Attr("wait"); v != "" {
		if b.wait, err = strconv.Atoi(v); err != nil || b.wait < 0 {
			return nil, errBadRequest
		}
		b.hasWait = true
	}
	if v := el.Attr("hold"); v != "" {
		if b.hold, err = strconv.Atoi(v); err != nil || b.hold < 0 {
			return nil, errBadRequest
		}
		b.hasHold = true
	}
	switch el.AttrNS(NSXBOSH, "restart") {
	case "true", "1":
		b.restart = true
	case "", "false", "0":
	default:
		return nil, errBadRequest
	}
	for c := range el.Elements() {
		// Children keep their own namespace; the session reads them inside
		// a jabber:client stream, so that is the default they are written
		// against. A child left in the httpbind namespace is the client's
		// mistake, and the session answers it with a stream error.
		b.payload = c.AppendXML(b.payload, stream.NSClient)
	}
	b.empty = len(b.payload) == 0
	return b, nil
}

// condError is a BOSH terminal condition (XEP-0124 §17.2).
type condError string

func (e condError) Error() string { return "bosh: " + string(e) }

const (
	errBadRequest     condError = "bad-request"
	errItemNotFound   condError = "item-not-found"
	errPolicy         condError = "policy-violation"
	errHostUnknown    condError = "host-unknown"
	errRemoteStream   condError = "remote-stream-error"
	errSystemShutdown condError = "system-shutdown"
)
