package auth

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// TestRFCVectors replays the server side of the RFC 5802 §5 (SCRAM-SHA-1)
// and RFC 7677 §3 (SCRAM-SHA-256) examples: user "user", password
// "pencil", with the examples' salt, iteration count and server nonce.
func TestRFCVectors(t *testing.T) {
	tests := []struct {
		name        string
		mech        string
		hash        string
		salt        string
		serverNonce string
		clientFirst string
		serverFirst string
		clientFinal string
		serverFinal string
	}{
		{
			name:        "RFC 5802 SCRAM-SHA-1",
			mech:        SCRAMSHA1,
			hash:        scram.SHA1,
			salt:        "QSXCR+Q6sek8bf92",
			serverNonce: "3rfcNHYJY1ZVvWVs7j",
			clientFirst: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			clientFinal: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
		{
			name:        "RFC 7677 SCRAM-SHA-256",
			mech:        SCRAMSHA256,
			hash:        scram.SHA256,
			salt:        "W22ZaJ0SNY7soEsUEjb6gQ==",
			serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
			clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			salt, err := base64.StdEncoding.DecodeString(tt.salt)
			if err != nil {
				t.Fatal(err)
			}
			stored, server, err := scram.DeriveKeys(tt.hash, "pencil", salt, 4096)
			if err != nil {
				t.Fatal(err)
			}
			keys := storage.SCRAMKeys{Salt: salt, Iterations: 4096, StoredKey: stored, ServerKey: server}
			var creds storage.Credentials
			if tt.hash == scram.SHA1 {
				creds.SHA1 = keys
			} else {
				creds.SHA256 = keys
			}
			src := &memSource{}
			src.add(testHost, "user", creds)
			s := NewServer(Config{FakeSaltSecret: []byte("x")}, src)
			s.serverNonce = tt.serverNonce

			ex, err := s.Start(tt.mech, ConnInfo{Host: testHost})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			out, done, err := ex.Step(ctx, []byte(tt.clientFirst))
			if err != nil || done {
				t.Fatalf("client-first: done=%v err=%v", done, err)
			}
			if string(out) != tt.serverFirst {
				t.Errorf("server-first:\n got %s\nwant %s", out, tt.serverFirst)
			}
			out, done, err = ex.Step(ctx, []byte(tt.clientFinal))
			if err != nil || !done {
				t.Fatalf("client-final: done=%v err=%v", done, err)
			}
			if string(out) != tt.serverFinal {
				t.Errorf("server-final:\n got %s\nwant %s", out, tt.serverFinal)
			}
			if ex.Username() != "user" {
				t.Errorf("Username() = %q", ex.Username())
			}
		})
	}
}
