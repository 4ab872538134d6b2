package auth

import (
	"bytes"
	"encoding/base64"
)

// DecodePayload decodes the character data of <auth/> or <response/>
// (RFC 6120 §6.4.2): no text means no response (nil), "=" an empty
// response (empty, non-nil), anything else strict padded base64 without
// whitespace. Bad base64 is a *Failure with IncorrectEncoding.
func DecodePayload(text []byte) ([]byte, error) {
	switch {
	case len(text) == 0:
		return nil, nil
	case len(text) == 1 && text[0] == '=':
		return []byte{}, nil
	case bytes.ContainsAny(text, "\r\n"):
		return nil, fail(IncorrectEncoding, "")
	}
	out, err := base64.StdEncoding.Strict().AppendDecode(make([]byte, 0, base64.StdEncoding.DecodedLen(len(text))), text)
	if err != nil {
		return nil, fail(IncorrectEncoding, "")
	}
	return out, nil
}
