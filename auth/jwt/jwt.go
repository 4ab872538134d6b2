// Package jwt authenticates users with a JSON Web Token (RFC 7519) passed
// as the SASL PLAIN password, as MongooseIM's jwt backend does: the site
// that issued the token vouches for the user. Verification is
// github.com/golang-jwt/jwt/v5 with the algorithm pinned by configuration,
// so "none" and algorithm confusion (an HS256 token signed with an RSA
// public key) are refused.
package jwt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/meerkat-xmpp/meerkat/auth"
)

// Algorithms Meerkat accepts.
const (
	HS256 = "HS256"
	RS256 = "RS256"
	ES256 = "ES256"
)

// Config configures a Backend.
type Config struct {
	// Algorithm is HS256, RS256 or ES256; tokens signed otherwise fail.
	Algorithm string
	// Secret is the HS256 key.
	Secret []byte
	// PublicKeyPEM is the RS256 or ES256 public key (PKIX or certificate
	// PEM).
	PublicKeyPEM []byte
	// UserClaim names the claim carrying the user's localpart; "" means
	// "sub". A value "user@host" must name the connection's host.
	UserClaim string
	// Issuer and Audience, when set, must match the iss and aud claims.
	Issuer, Audience string
	// Leeway tolerates clock skew in exp and nbf; 0 means none.
	Leeway time.Duration
	// RequireExp refuses tokens without exp.
	RequireExp bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Backend is an auth.PasswordChecker over JWTs. It is safe for concurrent
// use.
type Backend struct {
	cfg    Config
	key    any
	parser *gojwt.Parser
}

var (
	_ auth.PasswordChecker = (*Backend)(nil)
	_ auth.TokenChecker    = (*Backend)(nil)
)

// New checks cfg and parses its key.
func New(cfg Config) (*Backend, error) {
	if cfg.UserClaim == "" {
		cfg.UserClaim = "sub"
	}
	b := &Backend{cfg: cfg}
	var err error
	switch cfg.Algorithm {
	case HS256:
		if len(cfg.Secret) < 32 {
			return nil, errors.New("jwt: an HS256 secret must be at least 32 bytes (RFC 7518 §3.2)")
		}
		b.key = cfg.Secret
	case RS256:
		b.key, err = gojwt.ParseRSAPublicKeyFromPEM(cfg.PublicKeyPEM)
	case ES256:
		b.key, err = gojwt.ParseECPublicKeyFromPEM(cfg.PublicKeyPEM)
	default:
		return nil, fmt.Errorf("jwt: algorithm %q: want HS256, RS256 or ES256", cfg.Algorithm)
	}
	if err != nil {
		return nil, fmt.Errorf("jwt: %s public key: %w", cfg.Algorithm, err)
	}
	opts := []gojwt.ParserOption{gojwt.WithValidMethods([]string{cfg.Algorithm}), gojwt.WithLeeway(cfg.Leeway)}
	if cfg.Now != nil {
		opts = append(opts, gojwt.WithTimeFunc(cfg.Now))
	}
	if cfg.Issuer != "" {
		opts = append(opts, gojwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, gojwt.WithAudience(cfg.Audience))
	}
	if cfg.RequireExp {
		opts = append(opts, gojwt.WithExpirationRequired())
	}
	b.parser = gojwt.NewParser(opts...)
	return b, nil
}

// Name returns "jwt".
func (b *Backend) Name() string { return "jwt" }

// maxToken bounds the tokens parsed; real ones are well under 2 KiB.
const maxToken = 8 << 10

// CheckPassword verifies secret as a JWT whose user claim is authcid (or
// authcid@host). Every failure is auth.ErrBadCredentials: the client is not
// told which check failed.
func (b *Backend) CheckPassword(_ context.Context, ci auth.ConnInfo, authcid, secret string) (string, error) {
	user, err := b.verify(ci, secret)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(user, authcid) {
		return "", fmt.Errorf("%w: token for another user", auth.ErrBadCredentials)
	}
	return authcid, nil
}

// CheckToken verifies a JWT sent with OAUTHBEARER and returns the
// localpart its user claim names.
func (b *Backend) CheckToken(_ context.Context, ci auth.ConnInfo, token string) (string, error) {
	return b.verify(ci, token)
}

// verify checks the token and returns the localpart of its user claim.
func (b *Backend) verify(ci auth.ConnInfo, secret string) (string, error) {
	if len(secret) > maxToken || strings.Count(secret, ".") != 2 {
		return "", auth.ErrBadCredentials
	}
	claims := gojwt.MapClaims{}
	if _, err := b.parser.ParseWithClaims(secret, claims, func(*gojwt.Token) (any, error) { return b.key, nil }); err != nil {
		return "", fmt.Errorf("%w: %w", auth.ErrBadCredentials, err)
	}
	user, ok := claims[b.cfg.UserClaim].(string)
	if !ok {
		return "", fmt.Errorf("%w: no string claim %q", auth.ErrBadCredentials, b.cfg.UserClaim)
	}
	if local, host, found := strings.Cut(user, "@"); found {
		if !strings.EqualFold(host, ci.Host) {
			return "", fmt.Errorf("%w: token for host %q", auth.ErrBadCredentials, host)
		}
		user = local
	}
	if user == "" {
		return "", fmt.Errorf("%w: empty user claim", auth.ErrBadCredentials)
	}
	return user, nil
}
