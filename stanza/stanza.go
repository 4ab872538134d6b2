package stanza

import "github.com/meerkat-xmpp/meerkat/stream"

// Kind is the stanza kind: message, presence or iq.
type Kind uint8

// The three stanza kinds; KindNone is anything else.
const (
	KindNone Kind = iota
	KindMessage
	KindPresence
	KindIQ
)

// String returns the element name of k ("other" for KindNone), a bounded
// value safe for metric labels.
func (k Kind) String() string {
	switch k {
	case KindMessage:
		return "message"
	case KindPresence:
		return "presence"
	case KindIQ:
		return "iq"
	}
	return "other"
}

// KindOf returns the kind of a top-level element in jabber:client or
// jabber:server.
func KindOf(el *stream.Element) Kind {
	if el.Space != stream.NSClient && el.Space != stream.NSServer {
		return KindNone
	}
	switch el.Local {
	case "message":
		return KindMessage
	case "presence":
		return KindPresence
	case "iq":
		return KindIQ
	}
	return KindNone
}

// Message types of RFC 6121 §5.2.2.
const (
	MessageNormal    = "normal"
	MessageChat      = "chat"
	MessageGroupchat = "groupchat"
	MessageHeadline  = "headline"
	TypeError        = "error"
)

// IQ types of RFC 6120 §8.2.3.
const (
	IQGet    = "get"
	IQSet    = "set"
	IQResult = "result"
)

// Presence types of RFC 6121 §4.7.1.
const (
	PresenceUnavailable  = "unavailable"
	PresenceProbe        = "probe"
	PresenceSubscribe    = "subscribe"
	PresenceSubscribed   = "subscribed"
	PresenceUnsubscribe  = "unsubscribe"
	PresenceUnsubscribed = "unsubscribed"
)

// MessageType returns the message type with the RFC default "normal".
func MessageType(el *stream.Element) string {
	if t := el.Attr("type"); t != "" {
		return t
	}
	return MessageNormal
}

// TypeLabel folds a stanza type into a bounded set for metric labels.
func TypeLabel(k Kind, typ string) string {
	switch k {
	case KindMessage:
		switch typ {
		case "", MessageNormal:
			return MessageNormal
		case MessageChat, MessageGroupchat, MessageHeadline, TypeError:
			return typ
		}
	case KindPresence:
		switch typ {
		case "":
			return "available"
		case PresenceUnavailable, PresenceProbe, PresenceSubscribe, PresenceSubscribed,
			PresenceUnsubscribe, PresenceUnsubscribed, TypeError:
			return typ
		}
	case KindIQ:
		switch typ {
		case IQGet, IQSet, IQResult, TypeError:
			return typ
		}
	}
	return "other"
}

// ErrorReply turns the stanza orig into an error reply to its sender, as
// RFC 6120 §8.3.1 asks: to and from swapped, type error, the original payload
// kept, the <error/> appended. orig is not modified.
func ErrorReply(orig *stream.Element, e *Error) *stream.Element {
	r := &stream.Element{Space: orig.Space, Local: orig.Local}
	r.Attrs = make([]stream.Attr, 0, len(orig.Attrs)+1)
	for _, a := range orig.Attrs {
		switch {
		case a.Space == "" && (a.Local == "to" || a.Local == "from" || a.Local == "type"):
		default:
			r.Attrs = append(r.Attrs, a)
		}
	}
	if f := orig.Attr("from"); f != "" {
		r.SetAttr("to", f)
	}
	if t := orig.Attr("to"); t != "" {
		r.SetAttr("from", t)
	}
	r.SetAttr("type", TypeError)
	r.Children = make([]stream.Node, 0, len(orig.Children)+1)
	for _, n := range orig.Children {
		if n.Elem != nil && n.Elem.Local == "error" && n.Elem.Space == orig.Space {
			continue
		}
		r.Children = append(r.Children, n)
	}
	r.AddChild(e.Element())
	return r
}

// IsErrorType reports whether the stanza is itself an error, which must
// never be answered with another error (RFC 6120 §8.3.1).
func IsErrorType(el *stream.Element) bool { return el.Attr("type") == TypeError }

// Result builds an IQ result for the request iq, with an optional payload.
func Result(iq *stream.Element, payload *stream.Element) *stream.Element {
	r := stream.NewElement(iq.Space, "iq", "type", IQResult, "id", iq.Attr("id"))
	if f := iq.Attr("from"); f != "" {
		r.SetAttr("to", f)
	}
	if t := iq.Attr("to"); t != "" {
		r.SetAttr("from", t)
	}
	if payload != nil {
		r.AddChild(payload)
	}
	return r
}
