package mob

import (
	"net"
	"testing"
	"time"
)

// TestPeerClosed: the probe tells an idle connection from one the server
// closed or wrote to, without consuming anything.
func TestPeerClosed(t *testing.T) {
	tests := []struct {
		name string
		peer func(c net.Conn) // what the server side does to its end
		want bool
	}{
		{name: "idle", peer: func(net.Conn) {}, want: false},
		{name: "closed", peer: func(c net.Conn) { c.Close() }, want: true},
		{name: "reset", peer: func(c net.Conn) {
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}, want: true},
		{name: "unexpected data", peer: func(c net.Conn) { c.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n")) }, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			s, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tt.peer(s)
			// The FIN, RST or data takes a moment even on loopback.
			got := peerClosed(c)
			for deadline := time.Now().Add(2 * time.Second); got != tt.want && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
				got = peerClosed(c)
			}
			if got != tt.want {
				t.Errorf("peerClosed = %v, want %v", got, tt.want)
			}
			if tt.want {
				return
			}
			// Alive, and the probe left the connection usable.
			s.Write([]byte("x"))
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			var b [1]byte
			if n, err := c.Read(b[:]); n != 1 || err != nil {
				t.Errorf("read after the probe: %d, %v", n, err)
			}
		})
	}
}
