package auth

// SASL failure conditions of RFC 6120 §6.5, the element names a <failure/>
// carries.
const (
	Aborted              = "aborted"
	AccountDisabled      = "account-disabled"
	CredentialsExpired   = "credentials-expired"
	EncryptionRequired   = "encryption-required"
	IncorrectEncoding    = "incorrect-encoding"
	InvalidAuthzid       = "invalid-authzid"
	InvalidMechanism     = "invalid-mechanism"
	MalformedRequest     = "malformed-request"
	MechanismTooWeak     = "mechanism-too-weak"
	NotAuthorized        = "not-authorized"
	TemporaryAuthFailure = "temporary-auth-failure"
)

// Failure is a SASL failure: the session sends it as
// <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><Condition/><text>Text</text></failure>.
// Condition and Text are safe to send to the client: they never carry keys
// and never tell an unknown user from a wrong password. Cause, when set, is
// for server logs only.
type Failure struct {
	// Condition is one of the condition constants (NotAuthorized, ...).
	Condition string
	// Text is an optional human-readable explanation for the client.
	Text string
	// Cause is the underlying error (a storage failure, say). Log it;
	// never send it.
	Cause error
}

// Error returns "sasl: <condition>[: <text>]" without the cause.
func (f *Failure) Error() string {
	if f.Text == "" {
		return "sasl: " + f.Condition
	}
	return "sasl: " + f.Condition + ": " + f.Text
}

// Unwrap returns the cause, so errors.Is and errors.As see through.
func (f *Failure) Unwrap() error { return f.Cause }

// Is reports whether target is a *Failure with the same condition, so
// errors.Is(err, &auth.Failure{Condition: auth.NotAuthorized}) works.
func (f *Failure) Is(target error) bool {
	t, ok := target.(*Failure)
	return ok && t.Condition == f.Condition
}

func fail(condition, text string) *Failure {
	return &Failure{Condition: condition, Text: text}
}

// notAuthorized is the one failure for a wrong password, a wrong proof and
// an unknown user alike.
func notAuthorized() *Failure { return fail(NotAuthorized, "") }

// finished is the failure for a Step after the exchange ended.
func finished() *Failure { return fail(MalformedRequest, "the exchange is over") }

// malformed builds a malformed-request failure.
func malformed(text string) *Failure { return fail(MalformedRequest, text) }
