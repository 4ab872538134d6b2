package stream

// Condition is a stream error condition of RFC 6120 §4.9.3.
type Condition string

// The stream error conditions of RFC 6120 §4.9.3.
const (
	BadFormat              Condition = "bad-format"
	BadNamespacePrefix     Condition = "bad-namespace-prefix"
	Conflict               Condition = "conflict"
	ConnectionTimeout      Condition = "connection-timeout"
	HostGone               Condition = "host-gone"
	HostUnknown            Condition = "host-unknown"
	ImproperAddressing     Condition = "improper-addressing"
	InternalServerError    Condition = "internal-server-error"
	InvalidFrom            Condition = "invalid-from"
	InvalidNamespace       Condition = "invalid-namespace"
	InvalidXML             Condition = "invalid-xml"
	NotAuthorized          Condition = "not-authorized"
	NotWellFormed          Condition = "not-well-formed"
	PolicyViolation        Condition = "policy-violation"
	RemoteConnectionFailed Condition = "remote-connection-failed"
	Reset                  Condition = "reset"
	ResourceConstraint     Condition = "resource-constraint"
	RestrictedXML          Condition = "restricted-xml"
	SeeOtherHost           Condition = "see-other-host"
	SystemShutdown         Condition = "system-shutdown"
	UndefinedCondition     Condition = "undefined-condition"
	UnsupportedEncoding    Condition = "unsupported-encoding"
	UnsupportedFeature     Condition = "unsupported-feature"
	UnsupportedStanzaType  Condition = "unsupported-stanza-type"
	UnsupportedVersion     Condition = "unsupported-version"
)

// Error is a stream-level error: the stream ends with <stream:error/> naming
// Condition. Session code returns these; the session loop writes them out.
type Error struct {
	Condition Condition
	Text      string // optional human-readable text; never secrets
}

// E returns an *Error for condition c with optional text.
func E(c Condition, text string) *Error { return &Error{Condition: c, Text: text} }

// Error implements error.
func (e *Error) Error() string {
	if e.Text != "" {
		return "stream error: " + string(e.Condition) + ": " + e.Text
	}
	return "stream error: " + string(e.Condition)
}

// Is makes errors.Is match any *Error with the same condition.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Condition == e.Condition
}

// AppendXML appends <stream:error> for e. It assumes the stream prefix
// "stream" is bound, as in every stream header Meerkat writes.
func (e *Error) AppendXML(dst []byte) []byte {
	dst = append(dst, "<stream:error><"...)
	dst = append(dst, e.Condition...)
	dst = append(dst, " xmlns='"+NSStreamErr+"'/>"...)
	if e.Text != "" {
		dst = append(dst, "<text xmlns='"+NSStreamErr+"' xml:lang='en'>"...)
		dst = EscapeText(dst, e.Text)
		dst = append(dst, "</text>"...)
	}
	return append(dst, "</stream:error>"...)
}
