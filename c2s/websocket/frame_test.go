package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// chunkConn is a net.Conn reading from a byte slice a few bytes at a time,
// with a read timeout between chunks, so frames arrive split anywhere and
// reads resume after a deadline as the session's do. Writes are kept.
type chunkConn struct {
	data  []byte
	chunk int
	pause bool // the next Read times out
	out   bytes.Buffer
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if c.pause {
		c.pause = false
		return 0, os.ErrDeadlineExceeded
	}
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.chunk)], c.data)
	c.data = c.data[n:]
	c.pause = true
	return n, nil
}
func (c *chunkConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *chunkConn) Close() error                     { return nil }
func (c *chunkConn) LocalAddr() net.Addr              { return nil }
func (c *chunkConn) RemoteAddr() net.Addr             { return nil }
func (c *chunkConn) SetDeadline(time.Time) error      { return nil }
func (c *chunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *chunkConn) SetWriteDeadline(time.Time) error { return nil }

func testConn(data []byte, chunk int) (*conn, *chunkConn) {
	lim := stream.DefaultLimits()
	lim.MaxStanzaBytes = 4 << 10
	h := &Handler{cfg: Config{Limits: lim, PingTimeout: time.Second}}
	cc := &chunkConn{data: data, chunk: max(chunk, 1)}
	return newConn(h, cc), cc
}

// clientFrame is a masked client frame.
func clientFrame(op ws.OpCode, fin bool, p []byte) []byte {
	var h []byte
	b0 := byte(op)
	if fin {
		b0 |= 0x80
	}
	switch n := len(p); {
	case n < 126:
		h = []byte{b0, 0x80 | byte(n)}
	case n <= 0xffff:
		h = []byte{b0, 0x80 | 126, byte(n >> 8), byte(n)}
	default:
		h = binary.BigEndian.AppendUint64([]byte{b0, 0x80 | 127}, uint64(n))
	}
	mask := [4]byte{1, 2, 3, 4}
	h = append(h, mask[:]...)
	q := append([]byte(nil), p...)
	ws.Cipher(q, mask, 0)
	return append(h, q...)
}

// readAll reads messages until an error, resuming after timeouts.
func readAll(c *conn) ([]string, error) {
	var msgs []string
	for {
		m, err := c.readMessage()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, string(m))
	}
}

func TestReadMessages(t *testing.T) {
	big := string(bytes.Repeat([]byte("x"), 300))
	tests := []struct {
		name string
		in   [][]byte
		want []string
		cond stream.Condition // the stream error; "" for io.EOF at the end
		code ws.StatusCode    // the close code it chose
	}{
		{"one", [][]byte{clientFrame(ws.OpText, true, []byte("<a/>"))}, []string{"<a/>"}, "", 1000},
		{"16-bit length", [][]byte{clientFrame(ws.OpText, true, []byte(big))}, []string{big}, "", 1000},
		{"fragments with a ping between", [][]byte{clientFrame(ws.OpText, false, []byte("<a>")),
			clientFrame(ws.OpPing, true, []byte("p")), clientFrame(ws.OpContinuation, true, []byte("</a>"))},
			[]string{"<a></a>"}, "", 1000},
		{"empty message", [][]byte{clientFrame(ws.OpText, true, nil), clientFrame(ws.OpText, true, []byte("<b/>"))},
			[]string{"", "<b/>"}, "", 1000},
		{"close", [][]byte{clientFrame(ws.OpClose, true, []byte{3, 232}), clientFrame(ws.OpText, true, []byte("<a/>"))}, nil, "", 1000},
		{"too large", [][]byte{clientFrame(ws.OpText, true, make([]byte, 5<<10))}, nil, stream.PolicyViolation, 1008},
		{"64-bit length too large", [][]byte{{0x81, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4}}, nil, stream.PolicyViolation, 1008},
		{"binary", [][]byte{clientFrame(ws.OpBinary, true, []byte("<a/>"))}, nil, stream.BadFormat, 1003},
		{"unmasked", [][]byte{{0x81, 0x01, 'x'}}, nil, stream.BadFormat, 1002},
		{"negative length", [][]byte{{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}}, nil, stream.BadFormat, 1002},
		{"rsv", [][]byte{{0xc1, 0x80, 0, 0, 0, 0}}, nil, stream.BadFormat, 1002},
		{"one-byte close", [][]byte{clientFrame(ws.OpClose, true, []byte{3})}, nil, stream.BadFormat, 1002},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 3, 1 << 20} {
			c, _ := testConn(bytes.Join(tt.in, nil), chunk)
			got, err := readAll(c)
			var se *stream.Error
			switch {
			case tt.cond == "" && !errors.Is(err, io.EOF):
				t.Errorf("%s/%d: error %v, want EOF", tt.name, chunk, err)
			case tt.cond != "" && (!errors.As(err, &se) || se.Condition != tt.cond):
				t.Errorf("%s/%d: error %v, want %s", tt.name, chunk, err, tt.cond)
			}
			if c.closeCode != tt.code {
				t.Errorf("%s/%d: close code %d, want %d", tt.name, chunk, c.closeCode, tt.code)
			}
			if len(got) != len(tt.want) {
				t.Errorf("%s/%d: got %q, want %q", tt.name, chunk, got, tt.want)
				continue
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%s/%d: message %d %q, want %q", tt.name, chunk, i, got[i], tt.want[i])
				}
			}
		}
	}
}

// TestReleaseIdle: a conn may park only between frames, and parking drops
// its read buffers.
func TestReleaseIdle(t *testing.T) {
	f := clientFrame(ws.OpText, true, []byte("<a/>"))
	c, cc := testConn(append(f, f[:3]...), 1<<20)
	if m, err := c.readMessage(); err != nil || string(m) != "<a/>" {
		t.Fatalf("%q %v", m, err)
	}
	if _, err := c.readMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if c.ReleaseIdle() {
		t.Fatal("released with half a frame held")
	}
	cc.data = append(cc.data, f[3:]...)
	if m, err := c.readMessage(); err != nil || string(m) != "<a/>" {
		t.Fatalf("%q %v", m, err)
	}
	if _, err := c.readMessage(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if !c.ReleaseIdle() || c.rbuf != nil {
		t.Fatal("not released between frames")
	}
}

// TestWriteFrames: a batch of session output goes out as one write of one
// text frame per element.
func TestWriteFrames(t *testing.T) {
	c, cc := testConn(nil, 1)
	out := "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='localhost'>" +
		"<message to='a@b'><body>" + string(bytes.Repeat([]byte("y"), 200)) + "</body></message><presence/></stream:stream>"
	if _, err := c.Write([]byte(out)); err != nil {
		t.Fatal(err)
	}
	b := cc.out.Bytes()
	var got []string
	for len(b) > 0 {
		if b[0] != 0x81 || b[1]&0x80 != 0 {
			t.Fatalf("frame header %x", b[:2])
		}
		n, hl := int(b[1]), 2
		if n == 126 {
			n, hl = int(binary.BigEndian.Uint16(b[2:])), 4
		}
		got = append(got, string(b[hl:hl+n]))
		b = b[hl+n:]
	}
	if len(got) != 4 || !bytes.HasPrefix([]byte(got[0]), []byte("<open ")) || got[3] != "<close xmlns='"+stream.NSFraming+"'/>" {
		t.Fatalf("frames %q", got)
	}
}

func FuzzReadMessages(f *testing.F) {
	f.Add(clientFrame(ws.OpText, true, []byte("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")), 1)
	f.Add(append(clientFrame(ws.OpText, false, []byte("<a>")), clientFrame(ws.OpContinuation, true, []byte("</a>"))...), 2)
	f.Add(clientFrame(ws.OpPing, true, []byte("x")), 5)
	f.Add([]byte{0x81, 0xfe, 0x01, 0x00}, 3)
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0x10, 0}, 7)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		if chunk <= 0 || chunk > 64 {
			chunk = 64
		}
		c, _ := testConn(data, chunk)
		msgs, _ := readAll(c)
		total := 0
		for _, m := range msgs {
			if len(m) > c.h.cfg.Limits.MaxStanzaBytes {
				t.Fatalf("message of %d bytes over the limit", len(m))
			}
			total += len(m)
		}
		if total > len(data) {
			t.Fatalf("%d bytes of messages from %d bytes", total, len(data))
		}
		// Same input in one piece: the same messages.
		c2, _ := testConn(data, 1<<20)
		msgs2, _ := readAll(c2)
		if len(msgs2) != len(msgs) {
			t.Fatalf("chunked %d messages, whole %d", len(msgs), len(msgs2))
		}
		for i := range msgs {
			if msgs[i] != msgs2[i] {
				t.Fatalf("message %d differs: %q vs %q", i, msgs[i], msgs2[i])
			}
		}
	})
}

func BenchmarkReadMessage(b *testing.B) {
	f := clientFrame(ws.OpText, true, []byte("<message xmlns='jabber:client' to='bob@localhost/desk' type='chat' id='42'><body>hello there</body></message>"))
	data := bytes.Repeat(f, 64)
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	c, cc := testConn(nil, 1<<20)
	for i := 0; i < b.N; i++ {
		if i%64 == 0 {
			cc.data, cc.pause = data, false
			c.rbuf, c.r = c.rbuf[:0], 0
		}
		cc.pause = false
		if _, err := c.readMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	el := []byte("<message to='bob@localhost/desk' from='alice@localhost/web' type='chat' id='42'><body>hello there</body></message>")
	b.SetBytes(int64(len(el)))
	b.ReportAllocs()
	c, cc := testConn(nil, 1)
	for range b.N {
		cc.out.Reset()
		if _, err := c.Write(el); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPingAfterStaleWriteDeadline: the session sets a write deadline before
// each of its writes and leaves it; a ping long after the last write must
// not inherit it (it did, and failed at once, cutting a healthy peer).
func TestPingAfterStaleWriteDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := newConn(&Handler{cfg: Config{Limits: stream.DefaultLimits(), PingTimeout: time.Second}}, srv)
	defer srv.Close()
	c.SetWriteDeadline(time.Now().Add(-time.Second)) // the session's last write, long ago
	if err := c.writeControl(ws.OpPing, nil, time.Second); err != nil {
		t.Fatalf("ping: %v", err)
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [2]byte
	if _, err := io.ReadFull(peer, b[:]); err != nil || b[0] != 0x89 || b[1] != 0 {
		t.Fatalf("read %x, %v; want a ping frame", b, err)
	}
}
