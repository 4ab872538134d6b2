package websocket

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// frameHeader is one parsed RFC 6455 §5.2 frame header.
type frameHeader struct {
	fin    bool
	op     ws.OpCode
	mask   [4]byte
	length int64
}

// maxHeaderSize is the longest header a client may send: 2 bytes, an
// 8-byte length and a 4-byte mask.
const maxHeaderSize = 14

// protocolError is a frame RFC 6455 forbids; the connection fails with
// close code 1002.
type protocolError string

func (e protocolError) Error() string { return "websocket: " + string(e) }

// parseHeader reads the header of a client frame at the start of b. It
// returns the header's size in bytes, 0 when b holds only part of it (the
// caller reads more and tries again: a read that times out in the middle of
// a header loses nothing), or a protocolError.
func parseHeader(b []byte) (frameHeader, int, error) {
	var h frameHeader
	if len(b) < 2 {
		return h, 0, nil
	}
	h.fin = b[0]&0x80 != 0
	h.op = ws.OpCode(b[0] & 0x0f)
	if b[0]&0x70 != 0 {
		// No extension is negotiated, so no reserved bit may be set.
		return h, 0, protocolError("reserved bits set")
	}
	if h.op.IsReserved() {
		return h, 0, protocolError("reserved opcode")
	}
	if b[1]&0x80 == 0 {
		// §5.1: a server must close on an unmasked client frame.
		return h, 0, protocolError("unmasked client frame")
	}
	n := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		if len(b) < 4 {
			return h, 0, nil
		}
		h.length = int64(binary.BigEndian.Uint16(b[2:]))
		n = 4
	case 127:
		if len(b) < 10 {
			return h, 0, nil
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return h, 0, protocolError("frame length has its most significant bit set")
		}
		h.length = int64(u)
		n = 10
	default:
		h.length = int64(l)
	}
	if h.op.IsControl() && (!h.fin || h.length > 125) {
		return h, 0, protocolError("fragmented or oversized control frame")
	}
	if len(b) < n+4 {
		return h, 0, nil
	}
	copy(h.mask[:], b[n:n+4])
	return h, n + 4, nil
}

// appendFrame appends one unfragmented, unmasked server frame.
func appendFrame(b []byte, op ws.OpCode, p []byte) []byte {
	b = append(b, 0x80|byte(op))
	switch n := len(p); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, p...)
}

// appendClose appends a close frame with code and reason (§5.5.1); the
// reason is cut so that the payload fits a control frame.
func appendClose(b []byte, code ws.StatusCode, why string) []byte {
	if len(why) > 123 {
		why = why[:123]
	}
	var p [125]byte
	binary.BigEndian.PutUint16(p[:], uint16(code))
	n := 2 + copy(p[2:], why)
	return appendFrame(b, ws.OpClose, p[:n])
}
