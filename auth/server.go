package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// Namespaces of RFC 6120 §6 SASL and XEP-0440 channel binding advertisement.
const (
	NS               = "urn:ietf:params:xml:ns:xmpp-sasl"
	NSChannelBinding = "urn:xmpp:sasl-cb:0"
)

// Mechanism names, strongest first.
const (
	SCRAMSHA512Plus = "SCRAM-SHA-512-PLUS"
	SCRAMSHA256Plus = "SCRAM-SHA-256-PLUS"
	SCRAMSHA1Plus   = "SCRAM-SHA-1-PLUS"
	SCRAMSHA512     = "SCRAM-SHA-512"
	SCRAMSHA256     = "SCRAM-SHA-256"
	SCRAMSHA1       = "SCRAM-SHA-1"
	Plain           = "PLAIN"
	// Anonymous and External are offered by a host's configuration
	// (HostConfig.Anonymous, an ExternalChecker backend), not by
	// Config.Mechanisms.
	Anonymous = "ANONYMOUS"
	External  = "EXTERNAL"
)

// Channel binding types (XEP-0440 names), in preference order.
const (
	TLSExporter       = scram.TLSExporter
	TLSServerEndPoint = scram.TLSServerEndPoint
)

// Limits on what a client may send; far above any honest message.
const (
	maxMessage  = 16 << 10 // bytes in one SASL response
	maxUsername = 1023     // bytes, the RFC 7622 localpart limit
	fakeSaltLen = 16       // bytes, as DeriveCredentials makes them
)

// mechanism describes one supported SASL mechanism.
type mechanism struct {
	name     string
	hashName string // scram.SHA1...; empty for PLAIN
	hash     crypto.Hash
	plus     bool
}

// mechanisms is the preference order of Server.Mechanisms.
var mechanisms = [...]mechanism{
	{SCRAMSHA512Plus, scram.SHA512, crypto.SHA512, true},
	{SCRAMSHA256Plus, scram.SHA256, crypto.SHA256, true},
	{SCRAMSHA1Plus, scram.SHA1, crypto.SHA1, true},
	{SCRAMSHA512, scram.SHA512, crypto.SHA512, false},
	{SCRAMSHA256, scram.SHA256, crypto.SHA256, false},
	{SCRAMSHA1, scram.SHA1, crypto.SHA1, false},
	{Plain, "", 0, false},
}

// channelBindings is the preference order of Server.ChannelBindingTypes.
var channelBindings = [...]string{TLSExporter, TLSServerEndPoint}

// CredentialSource is where keys come from; storage.Users satisfies it.
type CredentialSource interface {
	// Credentials returns the stored keys of an account; an error
	// matching storage.ErrNotFound means there is no such account.
	Credentials(ctx context.Context, host, username string) (storage.Credentials, error)
}

var _ CredentialSource = storage.Users(nil)

// Config configures a Server.
type Config struct {
	// Mechanisms lists the mechanism names to allow; empty allows every
	// supported one. Order does not matter: offers follow strength.
	Mechanisms []string
	// FakeSaltSecret keys the HMAC that derives a stable fake salt for
	// unknown users, so a SCRAM exchange never tells whether an account
	// exists. Keep it secret and stable across restarts and nodes; if
	// empty, NewServer picks a random one, which changes at each start.
	FakeSaltSecret []byte
	// Iterations is the PBKDF2 count of fake salts; 0 means 4096. Set it
	// to the count accounts are created with, or fake users stand out.
	Iterations int
	// RejectCBDowngrade fails a SCRAM exchange whose GS2 flag is "y" (the
	// client can bind but saw no -PLUS) while -PLUS is on offer, as RFC 5802
	// §6 words it. It is off by default: the clients that send "y" today
	// support only tls-unique (slixmpp up to 1.8, for one), which TLS 1.3
	// does not define and Meerkat therefore never offers, so they could not
	// bind anyway; clients that support tls-exporter or tls-server-end-point
	// see them in XEP-0440 and use -PLUS.
	RejectCBDowngrade bool
	// Hosts says, per host, which backends authenticate its users. A host
	// not listed uses Internal over the source given to NewServer.
	Hosts map[string]HostConfig
	// RateLimit bounds failed logins per address and per account.
	RateLimit RateLimit
	// Accounts, when set, holds the accounts of anonymous guests: each
	// gets one (with no usable keys) at login and loses it, and all its
	// data, at EndAnonymous.
	Accounts storage.Users
	// Logger receives rate-limit warnings; nil discards them.
	Logger *slog.Logger
}

// Validate reports unknown mechanism names and a negative iteration count.
func (c Config) Validate() error {
	var errs []error
	for _, name := range c.Mechanisms {
		if lookupMechanism(name) < 0 {
			errs = append(errs, fmt.Errorf("auth: unknown SASL mechanism %q", name))
		}
	}
	if c.Iterations < 0 {
		errs = append(errs, fmt.Errorf("auth: negative iteration count %d", c.Iterations))
	}
	return errors.Join(errs...)
}

// Server is the server side of SASL (RFC 6120 §6) over stored SCRAM keys:
// SCRAM-SHA-1/256/512 with and without channel binding, and PLAIN. It is
// safe for concurrent use; each exchange it starts is not.
type Server struct {
	allowed    [len(mechanisms)]bool
	secret     []byte
	iterations int
	src        CredentialSource
	certs      certCache
	rejectY    bool // Config.RejectCBDowngrade
	hosts      map[string]*hostAuth
	fallback   *hostAuth // hosts not in Config.Hosts
	limit      *limiter
	accounts   storage.Users
	log        *slog.Logger

	// serverNonce, when set by tests, replaces the random server nonce.
	serverNonce string
}

// NewServer returns a Server that reads keys from src. Unknown names in
// cfg.Mechanisms are ignored (Config.Validate reports them).
func NewServer(cfg Config, src CredentialSource) *Server {
	s := &Server{src: src, iterations: cfg.Iterations, rejectY: cfg.RejectCBDowngrade,
		accounts: cfg.Accounts, log: loggerOr(cfg.Logger)}
	s.limit = newLimiter(cfg.RateLimit, s.log)
	s.fallback = newHostAuth(HostConfig{Backends: []Backend{Internal{Source: src}}})
	s.hosts = make(map[string]*hostAuth, len(cfg.Hosts))
	for host, hc := range cfg.Hosts {
		s.hosts[strings.ToLower(host)] = newHostAuth(hc)
	}
	if s.iterations <= 0 {
		s.iterations = scram.DefaultIterations
	}
	s.secret = bytes.Clone(cfg.FakeSaltSecret)
	if len(s.secret) == 0 {
		s.secret = make([]byte, 32)
		rand.Read(s.secret)
	}
	for _, name := range cfg.Mechanisms {
		if i := lookupMechanism(name); i >= 0 {
			s.allowed[i] = true
		}
	}
	if len(cfg.Mechanisms) == 0 {
		for i := range s.allowed {
			s.allowed[i] = true
		}
	}
	return s
}

func lookupMechanism(name string) int {
	for i := range mechanisms {
		if mechanisms[i].name == name {
			return i
		}
	}
	return -1
}

// ConnInfo describes the connection a SASL exchange runs on.
type ConnInfo struct {
	// RemoteIP is the client's address, for rate limiting failed logins;
	// the zero Addr when unknown.
	RemoteIP netip.Addr
	// Host is the stream's domain (the 'to' of the client's header).
	Host string
	// TLS is the state of the connection's TLS layer, nil when not
	// encrypted.
	TLS *tls.ConnectionState
	// ServerCert is the DER of the leaf certificate this server presented
	// on the connection; tls-server-end-point needs it, as on the server
	// side ConnectionState.PeerCertificates holds the client's.
	ServerCert []byte
	Cookies    []*http.Cookie // HTTP transports: cookies of the request that opened the session
}

func (ci ConnInfo) encrypted() bool { return ci.TLS != nil && ci.TLS.HandshakeComplete }

// Mechanisms lists what to offer in <mechanisms/>, strongest first:
// SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS (when the
// connection allows channel binding), SCRAM-SHA-512, SCRAM-SHA-256,
// SCRAM-SHA-1, and PLAIN (only under TLS), less those not allowed.
func (s *Server) Mechanisms(ci ConnInfo) []string {
	h := s.host(ci.Host)
	canBind := h.keys != nil && s.canBind(ci)
	out := make([]string, 0, len(mechanisms)+3)
	for i, m := range s.offerable(h, ci, canBind) {
		if m {
			out = append(out, mechanisms[i].name)
		}
	}
	if len(h.tokens) > 0 && ci.encrypted() {
		out = append(out, OAuthBearer)
	}
	if h.hasExternal(ci) {
		out = append(out, External)
	}
	if h.anonymous {
		out = append(out, Anonymous)
	}
	return out
}

// host returns how host authenticates.
func (s *Server) host(host string) *hostAuth {
	if len(s.hosts) == 0 {
		return s.fallback
	}
	if h, ok := s.hosts[host]; ok {
		return h
	}
	if h, ok := s.hosts[strings.ToLower(host)]; ok {
		return h
	}
	return s.fallback
}

// offerable reports, by index into mechanisms, what this connection gets.
func (s *Server) offerable(h *hostAuth, ci ConnInfo, canBind bool) [len(mechanisms)]bool {
	ok := s.allowed
	for i := range mechanisms {
		switch m := &mechanisms[i]; {
		case m.plus && !canBind:
			ok[i] = false
		case m.name == Plain && (!ci.encrypted() || len(h.checkers) == 0):
			ok[i] = false
		case m.name != Plain && h.keys == nil:
			ok[i] = false
		}
	}
	return ok
}

// plusAllowed reports whether any -PLUS mechanism is allowed at all.
func (s *Server) plusAllowed() bool {
	for i := range mechanisms {
		if mechanisms[i].plus && s.allowed[i] {
			return true
		}
	}
	return false
}

// ChannelBindingTypes lists the channel binding types available on ci, for
// XEP-0440's <sasl-channel-binding/>: "tls-exporter" and
// "tls-server-end-point", when each can be computed.
func (s *Server) ChannelBindingTypes(ci ConnInfo) []string {
	var out []string
	for _, t := range channelBindings {
		if _, err := s.bindingData(ci, t); err == nil {
			out = append(out, t)
		}
	}
	return out
}

// canBind reports whether ci offers any channel binding. It tries the
// cached tls-server-end-point first, which costs no TLS export.
func (s *Server) canBind(ci ConnInfo) bool {
	if _, err := s.bindingData(ci, TLSServerEndPoint); err == nil {
		return true
	}
	_, err := s.bindingData(ci, TLSExporter)
	return err == nil
}

// Start begins an exchange with the mechanism the client chose. A name that
// is unknown or not on offer here fails with InvalidMechanism, and PLAIN
// without TLS with EncryptionRequired.
func (s *Server) Start(mech string, ci ConnInfo) (Exchange, error) {
	h := s.host(ci.Host)
	switch mech {
	case Anonymous:
		if !h.anonymous {
			return nil, fail(InvalidMechanism, "")
		}
		return &anonymousExchange{s: s, ci: ci}, nil
	case External:
		if !h.hasExternal(ci) {
			return nil, fail(InvalidMechanism, "")
		}
		return &externalExchange{s: s, h: h, ci: ci}, nil
	case OAuthBearer:
		if len(h.tokens) == 0 {
			return nil, fail(InvalidMechanism, "")
		}
		if !ci.encrypted() {
			return nil, fail(EncryptionRequired, "OAUTHBEARER requires TLS")
		}
		return &oauthBearerExchange{s: s, h: h, ci: ci}, nil
	}
	i := lookupMechanism(mech)
	if i < 0 || !s.allowed[i] {
		return nil, fail(InvalidMechanism, "")
	}
	m := &mechanisms[i]
	if m.name == Plain {
		if len(h.checkers) == 0 {
			return nil, fail(InvalidMechanism, "")
		}
		if !ci.encrypted() {
			return nil, fail(EncryptionRequired, "PLAIN requires TLS")
		}
		return &plainExchange{s: s, h: h, ci: ci}, nil
	}
	if h.keys == nil {
		return nil, fail(InvalidMechanism, "")
	}
	canBind := s.canBind(ci)
	if m.plus && !canBind {
		return nil, fail(InvalidMechanism, "")
	}
	return &scramExchange{s: s, src: h.keys, m: m, ci: ci, plusOffered: canBind && s.plusAllowed() && s.rejectY}, nil
}

// Exchange is one SASL exchange, driven by the session until done or a
// failure. It is not safe for concurrent use.
type Exchange interface {
	// Step consumes the client's response, already base64-decoded (see
	// DecodePayload); resp is nil or empty when <auth/> carried no initial
	// response. It returns a challenge to send base64-encoded in
	// <challenge/> (done false; empty when the client sent no initial
	// response), or done true with the additional data for <success/>
	// (nil for none: an empty element). out must not be modified and is
	// valid until the next Step. Every error is a *Failure, after which
	// the exchange is over; so is it after done.
	Step(ctx context.Context, resp []byte) (out []byte, done bool, err error)
	// Username is the authenticated localpart once Step returned done,
	// and "" before.
	Username() string
}

// keysFor returns the keys of username for the named hash, or, when the
// account is unknown or has no usable keys for that hash, fake keys with a
// stable salt and fake set. Storage failures are temporary-auth-failure.
func (s *Server) keysFor(ctx context.Context, src CredentialSource, hashName, host, username string) (keys storage.SCRAMKeys, fake bool, f *Failure) {
	creds, err := src.Credentials(ctx, host, username)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return keys, false, &Failure{Condition: TemporaryAuthFailure, Cause: err}
	default:
		keys = pickKeys(creds, hashName)
		if usable(keys, hashName) {
			return keys, false, nil
		}
	}
	return s.fakeKeys(hashName, host, username), true, nil
}

func pickKeys(c storage.Credentials, hashName string) storage.SCRAMKeys {
	switch hashName {
	case scram.SHA1:
		return c.SHA1
	case scram.SHA256:
		return c.SHA256
	case scram.SHA512:
		return c.SHA512
	}
	return storage.SCRAMKeys{}
}

// usable reports whether k is complete and sized for the hash.
func usable(k storage.SCRAMKeys, hashName string) bool {
	h, ok := scram.HashFunc(hashName)
	return ok && k.Iterations > 0 && len(k.Salt) > 0 &&
		len(k.StoredKey) == h.Size() && len(k.ServerKey) == h.Size()
}

// fakeKeys makes keys for an account that does not exist: the salt is
// HMAC-SHA-256(FakeSaltSecret, hash 0 host 0 username) cut to 16 bytes, so
// it is stable per user and differs per hash as real salts do; the keys are
// zero and never match.
func (s *Server) fakeKeys(hashName, host, username string) storage.SCRAMKeys {
	h, _ := scram.HashFunc(hashName)
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(hashName))
	m.Write([]byte{0})
	m.Write([]byte(host))
	m.Write([]byte{0})
	m.Write([]byte(username))
	var sum [sha256.Size]byte
	salt := m.Sum(sum[:0])[:fakeSaltLen]
	return storage.SCRAMKeys{
		Salt:       salt,
		Iterations: s.iterations,
		StoredKey:  make([]byte, h.Size()),
		ServerKey:  make([]byte, h.Size()),
	}
}
