package scram

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"sync"
	"testing"
)

// TestClientVectors reproduces the client side of the RFC 5802 §5 and
// RFC 7677 §3 examples.
func TestClientVectors(t *testing.T) {
	tests := []struct {
		name, hash, nonce                  string
		first, serverFirst, final, verifer string
	}{
		{
			name: "RFC 5802", hash: SHA1, nonce: "fyko+d2lbbFgONRv9qkxdawL",
			first:       "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			final:       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			verifer:     "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
		{
			name: "RFC 7677", hash: SHA256, nonce: "rOprNGfwEbeRWgbNEkqO",
			first:       "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			final:       "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			verifer:     "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	}
	for _, tt := range tests {
		for _, cached := range []bool{false, true} {
			name := tt.name
			if cached {
				name += "/cached"
			}
			t.Run(name, func(t *testing.T) {
				cfg := ClientConfig{Hash: tt.hash, Username: "user", Password: "pencil"}
				if cached {
					cfg.Cache = &SaltedPasswordCache{}
				}
				c, err := newClient(cfg, tt.nonce)
				if err != nil {
					t.Fatal(err)
				}
				if got := string(c.First()); got != tt.first {
					t.Errorf("First = %s", got)
				}
				final, err := c.Final([]byte(tt.serverFirst))
				if err != nil {
					t.Fatal(err)
				}
				if string(final) != tt.final {
					t.Errorf("Final = %s", final)
				}
				if err := c.Verify([]byte(tt.verifer)); err != nil {
					t.Errorf("Verify: %v", err)
				}
			})
		}
	}
}

func TestClientRejects(t *testing.T) {
	const nonce = "abc"
	tests := []struct {
		name        string
		cfg         ClientConfig
		serverFirst string
		want        error
	}{
		{"nonce not extended", ClientConfig{}, "r=abc,s=c2FsdA==,i=4096", ErrServerNonce},
		{"nonce not ours", ClientConfig{}, "r=xyzabc,s=c2FsdA==,i=4096", ErrServerNonce},
		{"mandatory extension", ClientConfig{}, "m=x,r=abcd,s=c2FsdA==,i=4096", ErrMandatoryExtension},
		{"missing salt", ClientConfig{}, "r=abcd,i=4096", ErrMalformed},
		{"bad salt", ClientConfig{}, "r=abcd,s=c2Fsd,i=4096", ErrMalformed},
		{"zero iterations", ClientConfig{}, "r=abcd,s=c2FsdA==,i=0", ErrMalformed},
		{"iterations not a number", ClientConfig{}, "r=abcd,s=c2FsdA==,i=4k", ErrMalformed},
		{"too many iterations", ClientConfig{MaxIterations: 1000}, "r=abcd,s=c2FsdA==,i=1001", ErrIterations},
		{"bad extension", ClientConfig{}, "r=abcd,s=c2FsdA==,i=1,,", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Hash, cfg.Username, cfg.Password = SHA256, "user", "pencil"
			c, err := newClient(cfg, nonce)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Final([]byte(tt.serverFirst)); !errors.Is(err, tt.want) {
				t.Fatalf("Final: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestClientVerify(t *testing.T) {
	run := func(t *testing.T) *Client {
		c, _ := newClient(ClientConfig{Hash: SHA256, Username: "user", Password: "pencil"}, "rOprNGfwEbeRWgbNEkqO")
		if _, err := c.Final([]byte("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name, msg string
		want      error
	}{
		{"wrong signature", "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", ErrServerSignature},
		{"server error", "e=invalid-proof", ErrServerError},
		{"garbage", "x", ErrMalformed},
		{"bad base64", "v=!!", ErrMalformed},
		{"extension ok", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x=y", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := run(t).Verify([]byte(tt.msg)); !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("out of order", func(t *testing.T) {
		c, _ := NewClient(ClientConfig{Hash: SHA1, Username: "u", Password: "p"})
		if err := c.Verify([]byte("v=AAAA")); !errors.Is(err, ErrState) {
			t.Fatalf("Verify before Final: %v", err)
		}
	})
}

func TestClientGS2(t *testing.T) {
	tests := []struct {
		name  string
		cfg   ClientConfig
		first string
		mech  string
	}{
		{"n", ClientConfig{}, "n,,n=a=2Cb=3D,r=N", "SCRAM-SHA-256"},
		{"y", ClientConfig{BindingSupported: true}, "y,,n=a=2Cb=3D,r=N", "SCRAM-SHA-256"},
		{"p", ClientConfig{ChannelBinding: TLSExporter, ChannelBindingData: []byte{1}}, "p=tls-exporter,,n=a=2Cb=3D,r=N", "SCRAM-SHA-256-PLUS"},
		{"authzid", ClientConfig{Authzid: "a,b=@example.com"}, "n,a=a=2Cb=3D@example.com,n=a=2Cb=3D,r=N", "SCRAM-SHA-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Hash, cfg.Username, cfg.Password = SHA256, "a,b=", "pw"
			c, err := newClient(cfg, "N")
			if err != nil {
				t.Fatal(err)
			}
			if string(c.First()) != tt.first || c.Mechanism() != tt.mech {
				t.Errorf("First = %s, Mechanism = %s", c.First(), c.Mechanism())
			}
		})
	}
	for name, cfg := range map[string]ClientConfig{
		"unknown hash":    {Hash: "MD5", Username: "u", Password: "p"},
		"empty user":      {Hash: SHA1, Password: "p"},
		"empty password":  {Hash: SHA1, Username: "u"},
		"tls-unique":      {Hash: SHA1, Username: "u", Password: "p", ChannelBinding: "tls-unique", ChannelBindingData: []byte{1}},
		"no binding data": {Hash: SHA1, Username: "u", Password: "p", ChannelBinding: TLSExporter},
	} {
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("NewClient(%s) accepted", name)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		escaped, plain string
		ok             bool
	}{
		{"user", "user", true},
		{"a=2Cb", "a,b", true},
		{"a=3Db", "a=b", true},
		{"=2C=3D", ",=", true},
		{"jürgen", "jürgen", true},
		{"", "", false},
		{"a=2", "", false},
		{"a=", "", false},
		{"a=2D", "", false},
		{"a=2c", "", false},
		{"a,b", "", false},
		{"a\x00b", "", false},
		{"a\xffb", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.escaped, func(t *testing.T) {
			got, err := UnescapeName(tt.escaped)
			if (err == nil) != tt.ok || got != tt.plain {
				t.Fatalf("UnescapeName = %q, %v", got, err)
			}
			if tt.ok && EscapeName(got) != tt.escaped {
				t.Errorf("EscapeName(%q) = %q", got, EscapeName(got))
			}
		})
	}
}

func TestPreparePassword(t *testing.T) {
	tests := []struct {
		in, out string
		err     error
	}{
		{"pencil", "pencil", nil},
		{"tea\u00a0party\u3000", "tea party ", nil},
		{"ünïcödé", "ünïcödé", nil},
		{"", "", ErrEmptyPassword},
		{"a\tb", "", ErrPasswordControl},
		{"a\u0085b", "", ErrPasswordControl},
		{"a\xffb", "", ErrPasswordEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := PreparePassword(tt.in)
			if got != tt.out || !errors.Is(err, tt.err) {
				t.Fatalf("PreparePassword = %q, %v", got, err)
			}
		})
	}
}

func TestEndPointHash(t *testing.T) {
	tests := []struct {
		alg  x509.SignatureAlgorithm
		want crypto.Hash
	}{
		{x509.MD5WithRSA, crypto.SHA256},
		{x509.SHA1WithRSA, crypto.SHA256},
		{x509.ECDSAWithSHA1, crypto.SHA256},
		{x509.SHA256WithRSA, crypto.SHA256},
		{x509.ECDSAWithSHA256, crypto.SHA256},
		{x509.SHA384WithRSAPSS, crypto.SHA384},
		{x509.ECDSAWithSHA384, crypto.SHA384},
		{x509.SHA512WithRSA, crypto.SHA512},
		{x509.ECDSAWithSHA512, crypto.SHA512},
		{x509.PureEd25519, 0},
		{x509.UnknownSignatureAlgorithm, 0},
	}
	for _, tt := range tests {
		t.Run(tt.alg.String(), func(t *testing.T) {
			h, ok := EndPointHash(tt.alg)
			if h != tt.want || ok != (tt.want != 0) {
				t.Fatalf("EndPointHash = %v, %v", h, ok)
			}
		})
	}
	if _, err := EndPointBinding(&x509.Certificate{SignatureAlgorithm: x509.PureEd25519}); err == nil {
		t.Error("Ed25519 binding defined")
	}
	if _, err := ExporterBinding(nil); err == nil {
		t.Error("exporter without TLS")
	}
}

func TestSaltedPasswordCache(t *testing.T) {
	c := &SaltedPasswordCache{Max: 2}
	salt := []byte("salt")
	want, _ := SaltedPassword(SHA256, "pw", salt, 16)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := c.SaltedPassword(SHA256, "pw", salt, 16)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("got %x, %v", got, err)
			}
		})
	}
	wg.Wait()
	if c.Len() != 1 {
		t.Errorf("Len = %d after one distinct input", c.Len())
	}
	// Inputs that differ in any field are different entries.
	c.SaltedPassword(SHA256, "pw", salt, 17)
	c.SaltedPassword(SHA1, "pw", salt, 16)
	if c.Len() != 2 {
		t.Errorf("Len = %d, want the bound 2", c.Len())
	}
	if _, err := c.SaltedPassword(SHA256, "", salt, 16); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("empty password: %v", err)
	}
}

func TestDeriveKeysErrors(t *testing.T) {
	for name, f := range map[string]func() error{
		"unknown hash": func() error { _, _, err := DeriveKeys("MD5", "p", []byte("s"), 1); return err },
		"zero iter":    func() error { _, _, err := DeriveKeys(SHA1, "p", []byte("s"), 0); return err },
		"empty salt":   func() error { _, _, err := DeriveKeys(SHA1, "p", nil, 1); return err },
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func BenchmarkClientCached(b *testing.B) {
	cache := &SaltedPasswordCache{}
	sf := []byte("r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
	b.ReportAllocs()
	for b.Loop() {
		c, _ := newClient(ClientConfig{Hash: SHA256, Username: "user", Password: "pencil", Cache: cache}, "abc")
		c.First()
		if _, err := c.Final(sf); err != nil {
			b.Fatal(err)
		}
	}
}
