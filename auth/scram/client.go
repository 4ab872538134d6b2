package scram

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// DefaultMaxIterations caps the iteration count a Client accepts from a
// server when ClientConfig.MaxIterations is zero, so a hostile server cannot
// make it spin for minutes.
const DefaultMaxIterations = 1 << 22

// Errors a Client returns; each is wrapped with detail.
var (
	ErrMalformed          = errors.New("scram: malformed server message")
	ErrMandatoryExtension = errors.New("scram: server requires an unsupported extension")
	ErrServerNonce        = errors.New("scram: server nonce does not extend ours")
	ErrServerError        = errors.New("scram: server reported an error")
	ErrServerSignature    = errors.New("scram: server signature mismatch")
	ErrState              = errors.New("scram: client step out of order")
)

// ClientConfig parameterizes a Client.
type ClientConfig struct {
	// Hash is SHA1, SHA256 or SHA512.
	Hash string
	// Username is the authentication identity (for XMPP, the localpart).
	// It is escaped as a saslname here; pass it unescaped.
	Username string
	// Password is the user's password, prepared with PreparePassword.
	Password string
	// Authzid, if set, is sent as the GS2 authorization identity (for
	// XMPP, the bare JID).
	Authzid string
	// ChannelBinding names the binding type (TLSExporter or
	// TLSServerEndPoint) and makes this a -PLUS exchange; empty means none.
	ChannelBinding string
	// ChannelBindingData is the binding data for ChannelBinding, from
	// ExporterBinding or EndPointBinding.
	ChannelBindingData []byte
	// BindingSupported, when ChannelBinding is empty, sends the GS2 flag
	// "y" (the client could bind but the server offered no -PLUS
	// mechanism) instead of "n".
	BindingSupported bool
	// MaxIterations caps the server's iteration count; 0 means
	// DefaultMaxIterations.
	MaxIterations int
	// Cache, if set, memoizes salted passwords.
	Cache *SaltedPasswordCache
}

// Client runs the client side of one SCRAM exchange: First, then Final with
// the server-first-message, then Verify with the server-final-message. It is
// not safe for concurrent use.
type Client struct {
	cfg       ClientConfig
	h         crypto.Hash
	nonce     string
	gs2       string
	first     []byte // client-first-message
	bareStart int    // offset of client-first-message-bare in first
	serverSig []byte
	step      int
}

// NewClient checks cfg and prepares the client-first-message with a fresh
// nonce of 24 random bytes.
func NewClient(cfg ClientConfig) (*Client, error) {
	var raw [24]byte
	rand.Read(raw[:])
	return newClient(cfg, base64.StdEncoding.EncodeToString(raw[:]))
}

func newClient(cfg ClientConfig, nonce string) (*Client, error) {
	h, ok := HashFunc(cfg.Hash)
	if !ok {
		return nil, ErrUnknownHash
	}
	if cfg.Username == "" {
		return nil, errors.New("scram: empty username")
	}
	if _, err := PreparePassword(cfg.Password); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, h: h, nonce: nonce}
	switch {
	case cfg.ChannelBinding != "":
		if cfg.ChannelBinding != TLSExporter && cfg.ChannelBinding != TLSServerEndPoint {
			return nil, fmt.Errorf("scram: unsupported channel binding type %q", cfg.ChannelBinding)
		}
		if len(cfg.ChannelBindingData) == 0 {
			return nil, ErrBindingUnavailable
		}
		c.gs2 = "p=" + cfg.ChannelBinding + ","
	case cfg.BindingSupported:
		c.gs2 = "y,"
	default:
		c.gs2 = "n,"
	}
	if cfg.Authzid != "" {
		c.gs2 += "a=" + EscapeName(cfg.Authzid)
	}
	c.gs2 += ","
	c.first = append(c.first, c.gs2...)
	c.bareStart = len(c.first)
	c.first = append(c.first, "n="...)
	c.first = append(c.first, EscapeName(cfg.Username)...)
	c.first = append(c.first, ",r="...)
	c.first = append(c.first, nonce...)
	return c, nil
}

// Mechanism returns the SASL mechanism name this client speaks, such as
// "SCRAM-SHA-256" or "SCRAM-SHA-256-PLUS".
func (c *Client) Mechanism() string {
	if c.cfg.ChannelBinding != "" {
		return "SCRAM-" + c.cfg.Hash + "-PLUS"
	}
	return "SCRAM-" + c.cfg.Hash
}

// First returns the client-first-message (the SASL initial response).
func (c *Client) First() []byte {
	return bytes.Clone(c.first)
}

// Final reads the server-first-message and returns the
// client-final-message with the proof.
func (c *Client) Final(serverFirst []byte) ([]byte, error) {
	if c.step != 0 {
		return nil, ErrState
	}
	c.step = 1
	nonce, salt, iter, err := c.parseServerFirst(serverFirst)
	if err != nil {
		return nil, err
	}
	var salted []byte
	if c.cfg.Cache != nil {
		salted, err = c.cfg.Cache.SaltedPassword(c.cfg.Hash, c.cfg.Password, salt, iter)
	} else {
		salted, err = SaltedPassword(c.cfg.Hash, c.cfg.Password, salt, iter)
	}
	if err != nil {
		return nil, err
	}

	cb := make([]byte, 0, len(c.gs2)+len(c.cfg.ChannelBindingData))
	cb = append(cb, c.gs2...)
	if c.cfg.ChannelBinding != "" {
		cb = append(cb, c.cfg.ChannelBindingData...)
	}
	final := make([]byte, 0, 64+len(nonce)+base64.StdEncoding.EncodedLen(len(cb)))
	final = append(final, "c="...)
	final = base64.StdEncoding.AppendEncode(final, cb)
	final = append(final, ",r="...)
	final = append(final, nonce...)

	authMsg := make([]byte, 0, len(c.first)+len(serverFirst)+len(final)+2)
	authMsg = append(authMsg, c.first[c.bareStart:]...)
	authMsg = append(authMsg, ',')
	authMsg = append(authMsg, serverFirst...)
	authMsg = append(authMsg, ',')
	authMsg = append(authMsg, final...)

	clientKey := clientKeyOf(c.h, salted)
	storedKey := storedKeyOf(c.h, clientKey)
	m := hmac.New(c.h.New, storedKey)
	m.Write(authMsg)
	proof := m.Sum(nil)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	m = hmac.New(c.h.New, hmacSum(c.h, salted, "Server Key"))
	m.Write(authMsg)
	c.serverSig = m.Sum(nil)

	final = append(final, ",p="...)
	final = base64.StdEncoding.AppendEncode(final, proof)
	return final, nil
}

// Verify checks the server-final-message: a server error ("e=") or a
// ServerSignature that does not match fails. Only after Verify returns nil
// has the server proved it knows the user's keys.
func (c *Client) Verify(serverFinal []byte) error {
	if c.step != 1 || c.serverSig == nil {
		return ErrState
	}
	c.step = 2
	attrs := bytes.Split(serverFinal, []byte(","))
	first := attrs[0]
	switch {
	case bytes.HasPrefix(first, []byte("e=")):
		return fmt.Errorf("%w: %q", ErrServerError, first[2:])
	case !bytes.HasPrefix(first, []byte("v=")):
		return fmt.Errorf("%w: no verifier", ErrMalformed)
	}
	if err := checkExtensions(attrs[1:]); err != nil {
		return err
	}
	sig, err := decodeBase64(first[2:])
	if err != nil {
		return fmt.Errorf("%w: verifier: %v", ErrMalformed, err)
	}
	if subtle.ConstantTimeCompare(sig, c.serverSig) != 1 {
		return ErrServerSignature
	}
	return nil
}

func (c *Client) parseServerFirst(msg []byte) (nonce string, salt []byte, iter int, err error) {
	attrs := bytes.Split(msg, []byte(","))
	if bytes.HasPrefix(attrs[0], []byte("m=")) {
		return "", nil, 0, ErrMandatoryExtension
	}
	if len(attrs) < 3 {
		return "", nil, 0, fmt.Errorf("%w: server-first-message needs r, s and i", ErrMalformed)
	}
	r, s, i := attrs[0], attrs[1], attrs[2]
	if !bytes.HasPrefix(r, []byte("r=")) || !bytes.HasPrefix(s, []byte("s=")) || !bytes.HasPrefix(i, []byte("i=")) {
		return "", nil, 0, fmt.Errorf("%w: server-first-message needs r, s and i", ErrMalformed)
	}
	r = r[2:]
	if !printable(r) {
		return "", nil, 0, fmt.Errorf("%w: nonce", ErrMalformed)
	}
	if len(r) <= len(c.nonce) || string(r[:len(c.nonce)]) != c.nonce {
		return "", nil, 0, ErrServerNonce
	}
	salt, err = decodeBase64(s[2:])
	if err != nil || len(salt) == 0 {
		return "", nil, 0, fmt.Errorf("%w: salt", ErrMalformed)
	}
	iter, err = parseCount(i[2:])
	if err != nil {
		return "", nil, 0, err
	}
	max := c.cfg.MaxIterations
	if max <= 0 {
		max = DefaultMaxIterations
	}
	if iter > max {
		return "", nil, 0, fmt.Errorf("%w: %d iterations, the limit is %d", ErrIterations, iter, max)
	}
	if err := checkExtensions(attrs[3:]); err != nil {
		return "", nil, 0, err
	}
	return string(r), salt, iter, nil
}

func parseCount(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 10 || b[0] == '0' {
		return 0, fmt.Errorf("%w: iteration count", ErrMalformed)
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: iteration count", ErrMalformed)
		}
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: iteration count", ErrMalformed)
	}
	return n, nil
}

// checkExtensions accepts optional extensions (attr-val) and ignores them.
func checkExtensions(attrs [][]byte) error {
	for _, a := range attrs {
		if len(a) < 3 || a[1] != '=' || !isAlpha(a[0]) {
			return fmt.Errorf("%w: attribute %q", ErrMalformed, a)
		}
		if a[0] == 'm' {
			return ErrMandatoryExtension
		}
	}
	return nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// printable reports whether b is a valid RFC 5802 nonce: 1*printable, where
// printable is %x21-2B / %x2D-7E.
func printable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// decodeBase64 decodes standard padded base64, refusing the line breaks
// encoding/base64 would otherwise skip.
func decodeBase64(b []byte) ([]byte, error) {
	if bytes.ContainsAny(b, "\r\n") {
		return nil, base64.CorruptInputError(bytes.IndexAny(b, "\r\n"))
	}
	return base64.StdEncoding.Strict().AppendDecode(nil, b)
}
