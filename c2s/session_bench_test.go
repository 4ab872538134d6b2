package c2s

import (
	"io"
	"log/slog"
	"net"
	"testing"
)

// BenchmarkNewSession is what accepting a connection allocates before any
// byte is read, with a text logger at the default level (Info), which is what
// every idle session keeps. Target: 5 allocs/op.
func BenchmarkNewSession(b *testing.B) {
	srv := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	lis := &listener{cfg: ListenerConfig{Name: "c2s", OutboundQueueBytes: 1 << 20}, transport: "tcp"}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	b.ReportAllocs()
	for b.Loop() {
		s := newSession(srv, lis, c1)
		if s.id == "" {
			b.Fatal("no id")
		}
	}
}
