package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strconv"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// Exchange states.
const (
	stateStart uint8 = iota // awaiting client-first-message
	stateFinal              // awaiting client-final-message
	stateOver               // done or failed
)

// serverNonceBytes is the random part of the server nonce, base64-encoded
// into 32 printable characters.
const serverNonceBytes = 24

// maxHashSize is the largest digest among the supported hashes (SHA-512).
const maxHashSize = 64

// scramExchange is the server side of one SCRAM exchange (RFC 5802 §5),
// verifying the client's proof against StoredKey without PBKDF2.
type scramExchange struct {
	s           *Server
	src         CredentialSource
	m           *mechanism
	ci          ConnInfo
	plusOffered bool // "y" from the client is then a downgrade
	state       uint8
	sentEmpty   bool

	username string
	keys     storage.SCRAMKeys
	fake     bool // unknown user or rate limited: the proof must fail
	limited  bool // over a failed-login limit: not counted as a failure

	// authMsg accumulates the AuthMessage: client-first-message-bare ","
	// server-first-message "," client-final-message-without-proof.
	authMsg              []byte
	nonceStart, nonceEnd int    // the full nonce within authMsg
	cbWant               []byte // base64(gs2 header + binding data), c='s value
	done                 bool
}

var _ Exchange = (*scramExchange)(nil)

func (e *scramExchange) Username() string {
	if !e.done {
		return ""
	}
	return e.username
}

func (e *scramExchange) Step(ctx context.Context, resp []byte) ([]byte, bool, error) {
	switch e.state {
	case stateStart:
		if len(resp) == 0 {
			if e.sentEmpty {
				return e.fail(malformed("empty client-first-message"))
			}
			e.sentEmpty = true
			return []byte{}, false, nil
		}
		out, f := e.clientFirst(ctx, resp)
		if f != nil {
			return e.fail(f)
		}
		e.state = stateFinal
		return out, false, nil
	case stateFinal:
		out, f := e.clientFinal(resp)
		if f != nil {
			return e.fail(f)
		}
		e.state = stateOver
		e.done = true
		return out, true, nil
	}
	return nil, false, finished()
}

func (e *scramExchange) fail(f *Failure) ([]byte, bool, error) {
	if f.Condition == NotAuthorized && !e.limited {
		// A limited attempt was never checked, so, as with PLAIN, it
		// does not count as a failure.
		e.s.limit.failed(e.ci.remoteIP(), e.ci.Host, e.username)
	}
	e.state = stateOver
	e.keys = storage.SCRAMKeys{}
	return nil, false, f
}

// clientFirst parses the client-first-message (RFC 5802 §7), applies the
// GS2 and channel binding policy, looks the user up and returns the
// server-first-message.
func (e *scramExchange) clientFirst(ctx context.Context, msg []byte) ([]byte, *Failure) {
	cf, f := parseClientFirst(msg)
	if f != nil {
		return nil, f
	}

	var cbData []byte
	switch cf.flag {
	case 'p':
		if !e.m.plus {
			return nil, malformed("channel binding requested with a mechanism without -PLUS")
		}
		var typ string
		switch string(cf.cbType) {
		case TLSExporter:
			typ = TLSExporter
		case TLSServerEndPoint:
			typ = TLSServerEndPoint
		default:
			return nil, fail(NotAuthorized, "unsupported channel binding type")
		}
		var err error
		if cbData, err = e.s.bindingData(e.ci, typ); err != nil {
			return nil, fail(NotAuthorized, "channel binding type not available on this connection")
		}
	case 'y':
		if e.m.plus {
			return nil, malformed("a -PLUS mechanism needs channel binding")
		}
		if e.plusOffered {
			return nil, fail(NotAuthorized, "channel binding downgrade")
		}
	default:
		if e.m.plus {
			return nil, malformed("a -PLUS mechanism needs channel binding")
		}
	}
	if !authorized(cf.authzid, cf.username, e.ci.Host) {
		return nil, fail(InvalidAuthzid, "")
	}

	// A rate-limited attempt is not refused here: a wrong password fails at
	// the proof, so refusing before the challenge would tell the client it
	// is limited. It gets the account's real salt and count (or the fake
	// ones of an unknown user), as any attempt does, and fails at the proof
	// with the same not-authorized, whatever proof it sends.
	limited := e.s.limit.blocked(e.ci.remoteIP(), e.ci.Host, cf.username)
	keys, fake, f := e.s.keysFor(ctx, e.src, e.m.hashName, e.ci.Host, cf.username)
	if f != nil {
		return nil, f
	}
	e.username, e.keys, e.fake, e.limited = cf.username, keys, fake || limited, limited

	enc := base64.StdEncoding
	cbIn := cf.gs2
	if len(cbData) > 0 {
		cbIn = append(append(make([]byte, 0, len(cf.gs2)+len(cbData)), cf.gs2...), cbData...)
	}
	e.cbWant = enc.AppendEncode(make([]byte, 0, enc.EncodedLen(len(cbIn))), cbIn)

	snonce := e.s.serverNonce
	sfLen := len("r=,s=,i=") + len(cf.nonce) + enc.EncodedLen(serverNonceBytes) + len(snonce) +
		enc.EncodedLen(len(keys.Salt)) + 10
	finalLen := len("c=,r=") + len(e.cbWant) + len(cf.nonce) + enc.EncodedLen(serverNonceBytes) + len(snonce)
	b := make([]byte, 0, len(cf.bare)+1+sfLen+1+finalLen)
	b = append(b, cf.bare...)
	b = append(b, ',')
	sfStart := len(b)
	b = append(b, "r="...)
	e.nonceStart = len(b)
	b = append(b, cf.nonce...)
	if snonce != "" {
		b = append(b, snonce...)
	} else {
		var raw [serverNonceBytes]byte
		rand.Read(raw[:])
		b = enc.AppendEncode(b, raw[:])
	}
	e.nonceEnd = len(b)
	b = append(b, ",s="...)
	b = enc.AppendEncode(b, keys.Salt)
	b = append(b, ",i="...)
	b = strconv.AppendInt(b, int64(keys.Iterations), 10)
	sfEnd := len(b)
	b = append(b, ',')
	e.authMsg = b
	return b[sfStart:sfEnd:sfEnd], nil
}

// clientFinal parses the client-final-message, checks channel binding,
// nonce and proof, and returns the server-final-message.
func (e *scramExchange) clientFinal(msg []byte) ([]byte, *Failure) {
	cf, f := parseClientFinal(msg)
	if f != nil {
		return nil, f
	}
	h := e.m.hash
	var proofBuf [maxHashSize + 2]byte
	if len(cf.proof) > base64.StdEncoding.EncodedLen(h.Size()) {
		return nil, malformed("proof has the wrong length")
	}
	n, err := decodeBase64(proofBuf[:], cf.proof)
	if err != nil {
		return nil, malformed("proof is not base64")
	}
	if n != h.Size() {
		return nil, malformed("proof has the wrong length")
	}
	proof := proofBuf[:n]

	if !bytes.Equal(cf.cb, e.cbWant) {
		scratch := make([]byte, base64.StdEncoding.DecodedLen(len(cf.cb)))
		if _, err := decodeBase64(scratch, cf.cb); err != nil {
			return nil, malformed("channel binding is not base64")
		}
		return nil, fail(NotAuthorized, "channel binding mismatch")
	}
	if !bytes.Equal(cf.nonce, e.authMsg[e.nonceStart:e.nonceEnd]) {
		return nil, fail(NotAuthorized, "nonce mismatch")
	}

	e.authMsg = append(e.authMsg, cf.withoutProof...)
	var sigBuf, keyBuf [maxHashSize]byte
	mac := hmac.New(h.New, e.keys.StoredKey)
	mac.Write(e.authMsg)
	clientKey := mac.Sum(sigBuf[:0]) // ClientSignature, then XOR proof
	for i := range clientKey {
		clientKey[i] ^= proof[i]
	}
	d := h.New()
	d.Write(clientKey)
	stored := d.Sum(keyBuf[:0])
	ok := subtle.ConstantTimeCompare(stored, e.keys.StoredKey) == 1
	if !ok || e.fake {
		return nil, notAuthorized()
	}

	mac = hmac.New(h.New, e.keys.ServerKey)
	mac.Write(e.authMsg)
	serverSig := mac.Sum(sigBuf[:0])
	out := make([]byte, 0, 2+base64.StdEncoding.EncodedLen(len(serverSig)))
	out = append(out, "v="...)
	out = base64.StdEncoding.AppendEncode(out, serverSig)
	e.keys = storage.SCRAMKeys{}
	e.authMsg = nil
	return out, nil
}
