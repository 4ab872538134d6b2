package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The headers of a signed request. The signature is HMAC-SHA256, keyed
// with the shared secret, over SignedPayload: the timestamp, the method,
// the request URI and the body, joined by ".". The method and URI are in
// it because a body alone would let a signed GET /api/v1/sessions (empty
// body) be replayed as DELETE /api/v1/users/alice@example.com (empty body).
const (
	// HeaderTimestamp carries the signing time in Unix seconds.
	HeaderTimestamp = "X-Meerkat-Timestamp"
	// HeaderSignature carries "sha256=" and the lowercase or uppercase hex HMAC.
	HeaderSignature = "X-Meerkat-Signature"
)

// signaturePrefix names the hash in HeaderSignature, as GitHub's webhooks do.
const signaturePrefix = "sha256="

// DefaultReplayEntries bounds the signatures remembered for replay
// detection when AuthConfig.MaxReplayEntries is zero.
const DefaultReplayEntries = 100_000

// AuthConfig configures an Authenticator. A request is let in by a bearer
// token or by a signature; with neither Tokens nor Secret every request is
// refused.
type AuthConfig struct {
	// Tokens are the accepted bearer tokens.
	Tokens []string
	// Secret is the HMAC-SHA256 key of signed requests; empty turns
	// signatures off.
	Secret []byte
	// Window is how far a signed timestamp may be from the server's clock,
	// either way; a signature is remembered this long after its
	// timestamp, so it cannot be used twice. Default 5 minutes.
	Window time.Duration
	// MaxReplayEntries bounds the remembered signatures; when that many
	// are live, signed requests get 503 busy until some expire. Default
	// DefaultReplayEntries.
	MaxReplayEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Authenticator checks the credentials of API requests. It is safe for
// concurrent use.
type Authenticator struct {
	tokens [][sha256.Size]byte // hashes: equal length, so compares leak nothing
	secret []byte
	window time.Duration
	max    int
	now    func() time.Time

	macs sync.Pool // *macState keyed with secret: no allocation per request

	mu   sync.Mutex
	seen map[[sha256.Size]byte]int64 // signature → Unix second it stops being valid
}

// macState is a reusable HMAC and a scratch buffer for the signed prefix.
type macState struct {
	h   hash.Hash
	buf []byte
}

// NewAuthenticator returns an Authenticator for c.
func NewAuthenticator(c AuthConfig) *Authenticator {
	a := &Authenticator{
		secret: c.Secret, window: c.Window, max: c.MaxReplayEntries, now: c.Now,
		seen: make(map[[sha256.Size]byte]int64),
	}
	for _, t := range c.Tokens {
		if t != "" {
			a.tokens = append(a.tokens, sha256.Sum256([]byte(t)))
		}
	}
	if a.window <= 0 {
		a.window = 5 * time.Minute
	}
	if a.max <= 0 {
		a.max = DefaultReplayEntries
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.macs.New = func() any { return &macState{h: hmac.New(sha256.New, a.secret), buf: make([]byte, 0, 256)} }
	return a
}

// Check authenticates r, whose body has already been read into body. It
// returns "" when the request may proceed, or the error code and message
// to answer with. A request with an Authorization header is judged by its
// bearer token alone; otherwise by its signature.
func (a *Authenticator) Check(r *http.Request, body []byte) (Code, string) {
	if h := r.Header.Get("Authorization"); h != "" {
		return a.checkToken(h)
	}
	sig := r.Header.Get(HeaderSignature)
	if sig == "" {
		return CodeMissingCredentials, "send Authorization: Bearer <token>, or sign the request with " + HeaderTimestamp + " and " + HeaderSignature
	}
	return a.checkSignature(r.Header.Get(HeaderTimestamp), sig, r.Method, r.URL.RequestURI(), body)
}

func (a *Authenticator) checkToken(h string) (Code, string) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return CodeInvalidToken, "the Authorization header must be \"Bearer <token>\""
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	match := 0
	for i := range a.tokens {
		// Compare with every token, so the time taken says nothing about which matched.
		match |= subtle.ConstantTimeCompare(sum[:], a.tokens[i][:])
	}
	if match != 1 {
		return CodeInvalidToken, "the bearer token is not valid"
	}
	return "", ""
}

func (a *Authenticator) checkSignature(tsHeader, sigHeader, method, uri string, body []byte) (Code, string) {
	if len(a.secret) == 0 {
		return CodeInvalidSignature, "signed requests are not enabled on this server"
	}
	got, ok := ParseSignature(sigHeader)
	if !ok {
		return CodeInvalidSignature, HeaderSignature + " must be \"sha256=\" and 64 hex digits"
	}
	ts, ok := ParseTimestamp(tsHeader)
	if !ok {
		return CodeInvalidTimestamp, HeaderTimestamp + " must be the signing time in Unix seconds"
	}
	now := a.now().Unix()
	win := int64(a.window / time.Second)
	if ts < now-win || ts > now+win {
		return CodeExpiredTimestamp, "the signed timestamp is outside the allowed window of " + a.window.String()
	}
	ms := a.macs.Get().(*macState)
	ms.h.Reset()
	ms.buf = appendPrefix(ms.buf[:0], tsHeader, method, uri)
	ms.h.Write(ms.buf)
	ms.h.Write(body)
	var want [sha256.Size]byte
	ms.h.Sum(want[:0])
	a.macs.Put(ms)
	if !hmac.Equal(got[:], want[:]) {
		return CodeInvalidSignature, "the signature does not match"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if exp, ok := a.seen[got]; ok && exp >= now {
		return CodeReplayedSignature, "this signature was already used"
	}
	if len(a.seen) >= a.max {
		for k, exp := range a.seen {
			if exp < now {
				delete(a.seen, k)
			}
		}
		if len(a.seen) >= a.max {
			return CodeBusy, "too many signed requests in the replay window; retry later"
		}
	}
	a.seen[got] = ts + win
	return "", ""
}

// ParseSignature reads a HeaderSignature value: "sha256=" and 64 hex digits.
func ParseSignature(h string) (sig [sha256.Size]byte, ok bool) {
	hexSig, found := strings.CutPrefix(h, signaturePrefix)
	if !found || len(hexSig) != 2*sha256.Size {
		return sig, false
	}
	if _, err := hex.Decode(sig[:], []byte(hexSig)); err != nil {
		return sig, false
	}
	return sig, true
}

// ParseTimestamp reads a HeaderTimestamp value: decimal Unix seconds, with
// no sign, space or fraction.
func ParseTimestamp(h string) (int64, bool) {
	if h == "" || len(h) > 12 {
		return 0, false
	}
	for i := 0; i < len(h); i++ {
		if h[i] < '0' || h[i] > '9' {
			return 0, false
		}
	}
	ts, err := strconv.ParseInt(h, 10, 64)
	return ts, err == nil
}

// appendPrefix appends what the signature covers before the body:
// timestamp "." method "." request URI ".".
func appendPrefix(dst []byte, ts, method, uri string) []byte {
	dst = append(dst, ts...)
	dst = append(dst, '.')
	dst = append(dst, method...)
	dst = append(dst, '.')
	dst = append(dst, uri...)
	return append(dst, '.')
}

// SignedPayload returns the bytes a request's signature covers:
// timestamp "." method "." request URI (path and query, as sent) "." body.
func SignedPayload(ts, method, uri string, body []byte) []byte {
	return append(appendPrefix(nil, ts, method, uri), body...)
}

// Sign returns the HeaderSignature value for a request signed at ts.
func Sign(secret []byte, ts int64, method, uri string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(SignedPayload(strconv.FormatInt(ts, 10), method, uri, body))
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}
