package auth

import (
	"context"
	"testing"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
)

// benchSCRAM measures the server side of one SCRAM exchange: Start and the
// two Steps, with client messages computed once (the server nonce is fixed
// so they stay valid). Target: a few µs and ~20 allocations; no PBKDF2.
func benchSCRAM(b *testing.B, cfg scram.ClientConfig, ci ConnInfo) {
	s, _ := newTestServer(b, Config{})
	s.serverNonce = "bench-server-nonce-0123456789abcdef"
	ctx := context.Background()
	c, err := scram.NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	mech := c.Mechanism()
	first := c.First()
	ex, _ := s.Start(mech, ci)
	serverFirst, _, err := ex.Step(ctx, first)
	if err != nil {
		b.Fatal(err)
	}
	final, err := c.Final(serverFirst)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ex, err := s.Start(mech, ci)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ex.Step(ctx, first); err != nil {
			b.Fatal(err)
		}
		if _, done, err := ex.Step(ctx, final); err != nil || !done {
			b.Fatal(err)
		}
	}
}

func BenchmarkSCRAMSHA256ServerExchange(b *testing.B) {
	benchSCRAM(b, scram.ClientConfig{Hash: scram.SHA256, Username: "alice", Password: "wonderland"}, ConnInfo{Host: testHost})
}

func BenchmarkSCRAMSHA256PlusServerExchange(b *testing.B) {
	tls13, _ := fixtures(b)
	for _, typ := range []string{TLSExporter, TLSServerEndPoint} {
		b.Run(typ, func(b *testing.B) {
			benchSCRAM(b, scram.ClientConfig{Hash: scram.SHA256, Username: "alice", Password: "wonderland",
				ChannelBinding: typ, ChannelBindingData: tls13.clientBinding(b, typ)}, tls13.connInfo())
		})
	}
}

// BenchmarkPLAIN is dominated by PBKDF2-HMAC-SHA-256 at 4096 iterations.
func BenchmarkPLAIN(b *testing.B) {
	tls13, _ := fixtures(b)
	s, _ := newTestServer(b, Config{})
	ctx := context.Background()
	msg := []byte("\x00alice\x00wonderland")
	b.ReportAllocs()
	for b.Loop() {
		ex, err := s.Start(Plain, tls13.connInfo())
		if err != nil {
			b.Fatal(err)
		}
		if _, done, err := ex.Step(ctx, msg); err != nil || !done {
			b.Fatal(err)
		}
	}
}
