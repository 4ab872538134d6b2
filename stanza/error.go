package stanza

import (
	mstanza "mellium.im/xmpp/stanza"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// Condition is a stanza error condition of RFC 6120 §8.3.3 (mellium's type,
// so values compare equal across packages).
type Condition = mstanza.Condition

// ErrorType is the error type of RFC 6120 §8.3.2.
type ErrorType = mstanza.ErrorType

// The error types of RFC 6120 §8.3.2.
const (
	Auth     = mstanza.Auth
	Cancel   = mstanza.Cancel
	Continue = mstanza.Continue
	Modify   = mstanza.Modify
	Wait     = mstanza.Wait
)

// Error is a stanza-level error. Handlers return it; the dispatcher turns it
// into an error reply to the sender.
type Error struct {
	Type      ErrorType
	Condition Condition
	Text      string
	// Extra is an application-specific condition element (XEP payloads).
	Extra *stream.Element
}

// NewError returns an error with the RFC 6120 §8.3.3 default type for c.
func NewError(c Condition, text string) *Error {
	return &Error{Type: DefaultType(c), Condition: c, Text: text}
}

// DefaultType is the error type RFC 6120 §8.3.3 lists for each condition.
func DefaultType(c Condition) ErrorType {
	switch c {
	case mstanza.BadRequest, mstanza.JIDMalformed, mstanza.NotAcceptable,
		mstanza.PolicyViolation, mstanza.Redirect:
		return Modify
	case mstanza.Forbidden, mstanza.NotAuthorized, mstanza.RegistrationRequired,
		mstanza.SubscriptionRequired:
		return Auth
	case mstanza.InternalServerError, mstanza.RecipientUnavailable,
		mstanza.RemoteServerTimeout, mstanza.ResourceConstraint, mstanza.UnexpectedRequest:
		return Wait
	default:
		return Cancel
	}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Text != "" {
		return "stanza error: " + string(e.Condition) + ": " + e.Text
	}
	return "stanza error: " + string(e.Condition)
}

// Is makes errors.Is match any *Error with the same condition.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Condition == e.Condition
}

// Element returns the <error/> child for e.
func (e *Error) Element() *stream.Element {
	typ := e.Type
	if typ == "" {
		typ = DefaultType(e.Condition)
	}
	el := stream.NewElement(stream.NSClient, "error", "type", string(typ))
	el.AddChild(stream.NewElement(stream.NSStanzaErr, string(e.Condition)))
	if e.Text != "" {
		t := stream.NewElement(stream.NSStanzaErr, "text")
		t.Attrs = append(t.Attrs, stream.Attr{Space: stream.NSXML, Local: "lang", Value: "en"})
		el.AddChild(t.AddText(e.Text))
	}
	if e.Extra != nil {
		el.AddChild(e.Extra)
	}
	return el
}

// Common errors, as constructors so callers cannot mutate shared values.
var (
	_ error = (*Error)(nil)
)

// ErrServiceUnavailable is service-unavailable (cancel).
func ErrServiceUnavailable() *Error { return NewError(mstanza.ServiceUnavailable, "") }

// ErrBadRequest is bad-request (modify) with optional text.
func ErrBadRequest(text string) *Error { return NewError(mstanza.BadRequest, text) }

// Conditions re-exported so callers need only this package.
const (
	BadRequest            = mstanza.BadRequest
	Conflict              = mstanza.Conflict
	FeatureNotImplemented = mstanza.FeatureNotImplemented
	Forbidden             = mstanza.Forbidden
	Gone                  = mstanza.Gone
	InternalServerError   = mstanza.InternalServerError
	ItemNotFound          = mstanza.ItemNotFound
	JIDMalformed          = mstanza.JIDMalformed
	NotAcceptable         = mstanza.NotAcceptable
	NotAllowed            = mstanza.NotAllowed
	NotAuthorized         = mstanza.NotAuthorized
	PolicyViolation       = mstanza.PolicyViolation
	RecipientUnavailable  = mstanza.RecipientUnavailable
	Redirect              = mstanza.Redirect
	RegistrationRequired  = mstanza.RegistrationRequired
	RemoteServerNotFound  = mstanza.RemoteServerNotFound
	RemoteServerTimeout   = mstanza.RemoteServerTimeout
	ResourceConstraint    = mstanza.ResourceConstraint
	ServiceUnavailable    = mstanza.ServiceUnavailable
	SubscriptionRequired  = mstanza.SubscriptionRequired
	UndefinedCondition    = mstanza.UndefinedCondition
	UnexpectedRequest     = mstanza.UnexpectedRequest
)
