package auth

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
)

// clientFirstMsg is a parsed client-first-message (RFC 5802 §7). Byte
// slices point into the message.
type clientFirstMsg struct {
	flag     byte   // 'n', 'y' or 'p'
	cbType   []byte // after "p="
	authzid  string // unescaped, "" if absent
	gs2      []byte // the GS2 header, both commas included
	bare     []byte // client-first-message-bare
	username string // unescaped
	nonce    []byte // the client nonce
}

// parseClientFirst parses
//
//	gs2-cbind-flag "," [ "a=" saslname ] "," [ "m=" ext "," ] "n=" saslname "," "r=" c-nonce [ "," extensions ]
//
// strictly; anything else is malformed-request.
func parseClientFirst(msg []byte) (cf clientFirstMsg, f *Failure) {
	if len(msg) > maxMessage {
		return cf, malformed("message too long")
	}
	rest := msg
	switch {
	case bytes.HasPrefix(rest, []byte("n,")), bytes.HasPrefix(rest, []byte("y,")):
		cf.flag = rest[0]
		rest = rest[2:]
	case bytes.HasPrefix(rest, []byte("p=")):
		i := bytes.IndexByte(rest, ',')
		if i < 0 || !validCBName(rest[2:i]) {
			return cf, malformed("bad channel binding name")
		}
		cf.flag, cf.cbType = 'p', rest[2:i]
		rest = rest[i+1:]
	default:
		return cf, malformed("bad GS2 header")
	}
	i := bytes.IndexByte(rest, ',')
	if i < 0 {
		return cf, malformed("bad GS2 header")
	}
	if i > 0 {
		if !bytes.HasPrefix(rest, []byte("a=")) {
			return cf, malformed("bad GS2 header")
		}
		a, err := scram.UnescapeName(string(rest[2:i]))
		if err != nil {
			return cf, malformed("bad authorization identity")
		}
		cf.authzid = a
	}
	rest = rest[i+1:]
	cf.gs2 = msg[:len(msg)-len(rest)]
	cf.bare = rest

	field, rest, more := cut(rest)
	if bytes.HasPrefix(field, []byte("m=")) {
		return cf, malformed("unsupported mandatory extension")
	}
	if !bytes.HasPrefix(field, []byte("n=")) || !more {
		return cf, malformed("missing username")
	}
	u, err := scram.UnescapeName(string(field[2:]))
	if err != nil {
		return cf, malformed("bad username")
	}
	if len(u) > maxUsername {
		return cf, malformed("username too long")
	}
	cf.username = u

	field, rest, more = cut(rest)
	if !bytes.HasPrefix(field, []byte("r=")) || !printable(field[2:]) {
		return cf, malformed("bad nonce")
	}
	cf.nonce = field[2:]
	for more {
		field, rest, more = cut(rest)
		if f := checkExtension(field); f != nil {
			return cf, f
		}
	}
	return cf, nil
}

// clientFinalMsg is a parsed client-final-message; slices point into it.
type clientFinalMsg struct {
	cb           []byte // the c= value, still base64
	nonce        []byte
	proof        []byte // the p= value, still base64
	withoutProof []byte // client-final-message-without-proof
}

// parseClientFinal parses
//
//	"c=" base64 "," "r=" nonce [ "," extensions ] "," "p=" base64
//
// strictly; anything else is malformed-request. Base64 values are checked
// by the caller, which needs them decoded anyway.
func parseClientFinal(msg []byte) (cf clientFinalMsg, f *Failure) {
	if len(msg) > maxMessage {
		return cf, malformed("message too long")
	}
	i := bytes.LastIndexByte(msg, ',')
	if i < 0 || !bytes.HasPrefix(msg[i+1:], []byte("p=")) {
		return cf, malformed("missing proof")
	}
	cf.proof = msg[i+3:]
	cf.withoutProof = msg[:i]

	field, rest, more := cut(cf.withoutProof)
	if !bytes.HasPrefix(field, []byte("c=")) || len(field) == 2 || !more {
		return cf, malformed("missing channel binding")
	}
	cf.cb = field[2:]
	field, rest, more = cut(rest)
	if !bytes.HasPrefix(field, []byte("r=")) || !printable(field[2:]) {
		return cf, malformed("bad nonce")
	}
	cf.nonce = field[2:]
	for more {
		field, rest, more = cut(rest)
		if f := checkExtension(field); f != nil {
			return cf, f
		}
	}
	return cf, nil
}

// cut splits b at its first comma.
func cut(b []byte) (field, rest []byte, more bool) {
	if i := bytes.IndexByte(b, ','); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return b, nil, false
}

// checkExtension accepts an optional extension attr-val (ALPHA "="
// 1*value-char), which is then ignored. "m" is the reserved mandatory
// extension and fails; attribute names SCRAM already defines may not be
// repeated as extensions.
func checkExtension(a []byte) *Failure {
	if len(a) < 3 || a[1] != '=' || !isAlpha(a[0]) {
		return malformed("bad attribute")
	}
	switch a[0] {
	case 'm':
		return malformed("unsupported mandatory extension")
	case 'a', 'n', 'r', 'c', 'p', 's', 'i', 'e', 'v':
		return malformed("repeated attribute")
	}
	v := a[2:]
	if !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0 {
		return malformed("bad attribute value")
	}
	return nil
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// validCBName reports whether b is a cb-name: 1*(ALPHA / DIGIT / "." / "-").
func validCBName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isAlpha(c) && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// printable reports whether b is a nonce: 1*(%x21-2B / %x2D-7E).
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

// decodeBase64 decodes strict padded standard base64 into dst, which must
// hold base64.StdEncoding.DecodedLen(len(src)) bytes. Unlike
// encoding/base64 it refuses CR and LF inside the text.
func decodeBase64(dst, src []byte) (int, error) {
	if i := bytes.IndexAny(src, "\r\n"); i >= 0 {
		return 0, base64.CorruptInputError(i)
	}
	if len(src) == 0 {
		return 0, base64.CorruptInputError(0)
	}
	return base64.StdEncoding.Strict().Decode(dst, src)
}
