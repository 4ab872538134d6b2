package auth

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

var scramHashes = []string{scram.SHA1, scram.SHA256, scram.SHA512}

// TestSCRAMExchange runs every SCRAM mechanism end to end, with and
// without TLS, and every -PLUS form over real TLS 1.3 and 1.2 handshakes
// with each channel binding type.
func TestSCRAMExchange(t *testing.T) {
	tls13, tls12 := fixtures(t)
	type conn struct {
		name string
		tc   *tlsConn // nil: plain TCP
	}
	conns := []conn{{"plaintext", nil}, {"TLS1.3", tls13}, {"TLS1.2", tls12}}
	s, _ := newTestServer(t, Config{})

	for _, h := range scramHashes {
		for _, c := range conns {
			for _, cb := range []string{"", TLSExporter, TLSServerEndPoint} {
				if c.tc == nil && cb != "" {
					continue
				}
				name := "SCRAM-" + h + "/" + c.name
				if cb != "" {
					name += "/PLUS/" + cb
				}
				t.Run(name, func(t *testing.T) {
					ci := ConnInfo{Host: testHost}
					cfg := scram.ClientConfig{Hash: h, Username: "alice", Password: "wonderland"}
					if c.tc != nil {
						ci = c.tc.connInfo()
						if cb == "" {
							// A client that can bind but does not: "n".
							cfg.BindingSupported = false
						} else {
							cfg.ChannelBinding = cb
							cfg.ChannelBindingData = c.tc.clientBinding(t, cb)
						}
					}
					run := runSCRAM(t, s, ci, cfg, nil)
					if run.err != nil {
						t.Fatalf("stage %d: %v", run.stage, run.err)
					}
					if run.username != "alice" {
						t.Errorf("username %q", run.username)
					}
				})
			}
		}
	}
}

// flipProof changes one bit of the proof in a client-final-message.
func flipProof(msg []byte) []byte {
	i := bytes.LastIndex(msg, []byte(",p="))
	proof, _ := base64.StdEncoding.DecodeString(string(msg[i+3:]))
	proof[0] ^= 1
	return append(append([]byte(nil), msg[:i+3]...), base64.StdEncoding.EncodeToString(proof)...)
}

// replaceAttr replaces the value of attribute name in a SCRAM message.
func replaceAttr(msg []byte, name byte, value string) []byte {
	parts := strings.Split(string(msg), ",")
	for i, p := range parts {
		if len(p) >= 2 && p[0] == name && p[1] == '=' {
			parts[i] = string(name) + "=" + value
		}
	}
	return []byte(strings.Join(parts, ","))
}

func TestSCRAMFailures(t *testing.T) {
	tls13, _ := fixtures(t)
	plain := ConnInfo{Host: testHost}
	secure := tls13.connInfo()
	alice := scram.ClientConfig{Hash: scram.SHA256, Username: "alice", Password: "wonderland"}
	with := func(f func(*scram.ClientConfig)) scram.ClientConfig {
		c := alice
		f(&c)
		return c
	}
	plus := func(typ string, data []byte) scram.ClientConfig {
		return with(func(c *scram.ClientConfig) { c.ChannelBinding, c.ChannelBindingData = typ, data })
	}

	tests := []struct {
		name      string
		cfg       Config
		ci        ConnInfo
		client    scram.ClientConfig
		tamper    tamper
		stage     int // where it must fail
		condition string
	}{
		{name: "wrong password", ci: plain, stage: 2, condition: NotAuthorized,
			client: with(func(c *scram.ClientConfig) { c.Password = "looking-glass" })},
		{name: "unknown user", ci: plain, stage: 2, condition: NotAuthorized,
			client: with(func(c *scram.ClientConfig) { c.Username = "mallory" })},
		{name: "tampered proof", ci: plain, stage: 2, condition: NotAuthorized, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return flipProof(m)
				}
				return m
			}},
		{name: "wrong authzid", ci: plain, stage: 1, condition: InvalidAuthzid,
			client: with(func(c *scram.ClientConfig) { c.Authzid = "bob@example.com" })},
		{name: "authzid with resource", ci: plain, stage: 1, condition: InvalidAuthzid,
			client: with(func(c *scram.ClientConfig) { c.Authzid = "alice@example.com/res" })},
		{name: "authzid other domain", ci: plain, stage: 1, condition: InvalidAuthzid,
			client: with(func(c *scram.ClientConfig) { c.Authzid = "alice@example.net" })},
		{name: "gs2 y while PLUS is offered, strict", ci: secure, stage: 1, condition: NotAuthorized,
			cfg:    Config{RejectCBDowngrade: true},
			client: with(func(c *scram.ClientConfig) { c.BindingSupported = true })},
		{name: "bad base64 in c", ci: plain, stage: 2, condition: MalformedRequest, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return replaceAttr(m, 'c', "bi*s")
				}
				return m
			}},
		{name: "line break in c", ci: plain, stage: 2, condition: MalformedRequest, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return replaceAttr(m, 'c', "bi\nws")
				}
				return m
			}},
		{name: "bad base64 in p", ci: plain, stage: 2, condition: MalformedRequest, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return replaceAttr(m, 'p', "!!!!")
				}
				return m
			}},
		{name: "short proof", ci: plain, stage: 2, condition: MalformedRequest, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return replaceAttr(m, 'p', "AAAA")
				}
				return m
			}},
		{name: "nonce mismatch", ci: plain, stage: 2, condition: NotAuthorized, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return replaceAttr(m, 'r', "some-other-nonce")
				}
				return m
			}},
		{name: "gs2 header changed in c", ci: plain, stage: 2, condition: NotAuthorized, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return replaceAttr(m, 'c', base64.StdEncoding.EncodeToString([]byte("y,,")))
				}
				return m
			}},
		{name: "channel binding data mismatch", ci: secure, stage: 2, condition: NotAuthorized,
			client: plus(TLSExporter, make([]byte, 32))},
		{name: "end-point binding without server cert", stage: 1, condition: NotAuthorized,
			ci:     ConnInfo{Host: testHost, TLS: secure.TLS},
			client: plus(TLSServerEndPoint, make([]byte, 32))},
		{name: "mandatory extension", ci: plain, stage: 1, condition: MalformedRequest, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 1 {
					return bytes.Replace(m, []byte(",,n="), []byte(",,m=ext,n="), 1)
				}
				return m
			}},
		{name: "mandatory extension in final", ci: plain, stage: 2, condition: MalformedRequest, client: alice,
			tamper: func(st int, m []byte) []byte {
				if st == 2 {
					return bytes.Replace(m, []byte(",p="), []byte(",m=x,p="), 1)
				}
				return m
			}},
		{name: "storage failure", ci: plain, stage: 1, condition: TemporaryAuthFailure, client: alice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, src := newTestServer(t, tt.cfg)
			if tt.condition == TemporaryAuthFailure {
				src.err = errors.New("database on fire")
			}
			run := runSCRAM(t, s, tt.ci, tt.client, tt.tamper)
			if run.err == nil {
				t.Fatal("exchange succeeded")
			}
			f := asFailure(t, run.err)
			if run.stage != tt.stage || f.Condition != tt.condition {
				t.Fatalf("failed at stage %d with %v, want stage %d with %s", run.stage, run.err, tt.stage, tt.condition)
			}
			if strings.Contains(f.Error(), "database") || strings.Contains(f.Text, "mallory") {
				t.Errorf("failure text leaks: %q", f.Error())
			}
		})
	}
}

// TestSCRAMUnknownUserShape checks that an unknown user gets a
// server-first-message shaped like a real one: a 16-byte salt stable
// across attempts, different per user and per hash, and the default
// iteration count.
func TestSCRAMUnknownUserShape(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	first := func(hash, user string) (salt []byte, iter string) {
		t.Helper()
		run := runSCRAM(t, s, ConnInfo{Host: testHost}, scram.ClientConfig{Hash: hash, Username: user, Password: "guess"}, nil)
		if run.stage != 2 || asFailure(t, run.err).Condition != NotAuthorized {
			t.Fatalf("%s/%s: stage %d err %v", hash, user, run.stage, run.err)
		}
		attrs := strings.Split(string(run.serverFirst), ",")
		if len(attrs) != 3 || !strings.HasPrefix(attrs[0], "r=") || !strings.HasPrefix(attrs[1], "s=") || !strings.HasPrefix(attrs[2], "i=") {
			t.Fatalf("server-first %q", run.serverFirst)
		}
		salt, err := base64.StdEncoding.DecodeString(attrs[1][2:])
		if err != nil {
			t.Fatal(err)
		}
		return salt, attrs[2][2:]
	}
	realSalt, realIter := first(scram.SHA256, "alice") // wrong password, real salt
	fakeSalt, fakeIter := first(scram.SHA256, "mallory")
	again, _ := first(scram.SHA256, "mallory")
	other, _ := first(scram.SHA256, "trudy")
	sha1Salt, _ := first(scram.SHA1, "mallory")

	if len(fakeSalt) != len(realSalt) || fakeIter != realIter {
		t.Errorf("fake salt %d bytes i=%s, real %d bytes i=%s", len(fakeSalt), fakeIter, len(realSalt), realIter)
	}
	if !bytes.Equal(fakeSalt, again) {
		t.Error("fake salt changes between attempts")
	}
	if bytes.Equal(fakeSalt, other) || bytes.Equal(fakeSalt, sha1Salt) {
		t.Error("fake salt does not depend on user and hash")
	}

	// Another server with the same secret gives the same fake salt.
	s2 := NewServer(Config{FakeSaltSecret: []byte("test secret")}, &memSource{})
	run := runSCRAM(t, s2, ConnInfo{Host: testHost}, scram.ClientConfig{Hash: scram.SHA256, Username: "mallory", Password: "x"}, nil)
	if !strings.Contains(string(run.serverFirst), ",s="+base64.StdEncoding.EncodeToString(fakeSalt)+",") {
		t.Errorf("fake salt not stable across servers: %s", run.serverFirst)
	}
}

// TestSCRAMAccepted covers variations that must succeed.
func TestSCRAMAccepted(t *testing.T) {
	tls13, _ := fixtures(t)
	alice := scram.ClientConfig{Hash: scram.SHA256, Username: "alice", Password: "wonderland"}
	tests := []struct {
		name   string
		cfg    Config
		ci     ConnInfo
		client func(*scram.ClientConfig)
	}{
		{name: "authzid bare JID", ci: ConnInfo{Host: testHost},
			client: func(c *scram.ClientConfig) { c.Authzid = "alice@example.com" }},
		{name: "authzid localpart", ci: ConnInfo{Host: testHost},
			client: func(c *scram.ClientConfig) { c.Authzid = "alice" }},
		{name: "gs2 y without TLS", ci: ConnInfo{Host: testHost},
			client: func(c *scram.ClientConfig) { c.BindingSupported = true }},
		{name: "gs2 y while PLUS is offered, default", ci: tls13.connInfo(),
			client: func(c *scram.ClientConfig) { c.BindingSupported = true }},
		{name: "gs2 y when PLUS is disabled", ci: tls13.connInfo(),
			cfg:    Config{Mechanisms: []string{SCRAMSHA256}},
			client: func(c *scram.ClientConfig) { c.BindingSupported = true }},
		{name: "password with non-ASCII space", ci: ConnInfo{Host: testHost},
			client: func(c *scram.ClientConfig) { c.Username, c.Password = "carol", "tea\u00a0party" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, src := newTestServer(t, tt.cfg)
			src.add(testHost, "carol", credsFor(t, "tea party"))
			cfg := alice
			tt.client(&cfg)
			if run := runSCRAM(t, s, tt.ci, cfg, nil); run.err != nil {
				t.Fatalf("stage %d: %v", run.stage, run.err)
			}
		})
	}
}

// TestSCRAMRawClientFirst feeds hand-written client-first-messages.
func TestSCRAMRawClientFirst(t *testing.T) {
	tls13, _ := fixtures(t)
	tests := []struct {
		name      string
		mech      string
		tls       bool
		msg       string
		condition string // "" means accepted
	}{
		{"ok", SCRAMSHA256, false, "n,,n=alice,r=abc", ""},
		{"ok with extension", SCRAMSHA256, false, "n,,n=alice,r=abc,x=1", ""},
		{"escaped name", SCRAMSHA256, false, "n,,n=a=2Cb=3Dc,r=abc", ""},
		{"p on non-PLUS", SCRAMSHA256, true, "p=tls-exporter,,n=alice,r=abc", MalformedRequest},
		{"n on PLUS", SCRAMSHA256Plus, true, "n,,n=alice,r=abc", MalformedRequest},
		{"y on PLUS", SCRAMSHA256Plus, true, "y,,n=alice,r=abc", MalformedRequest},
		{"unsupported cb type", SCRAMSHA256Plus, true, "p=tls-unique,,n=alice,r=abc", NotAuthorized},
		{"bad cb name", SCRAMSHA256Plus, true, "p=tls_unique,,n=alice,r=abc", MalformedRequest},
		{"empty username", SCRAMSHA256, false, "n,,n=,r=abc", MalformedRequest},
		{"bad escape", SCRAMSHA256, false, "n,,n=a=2Db,r=abc", MalformedRequest},
		{"truncated escape", SCRAMSHA256, false, "n,,n=ab=2,r=abc", MalformedRequest},
		{"NUL in username", SCRAMSHA256, false, "n,,n=a\x00b,r=abc", MalformedRequest},
		{"invalid UTF-8 username", SCRAMSHA256, false, "n,,n=a\xffb,r=abc", MalformedRequest},
		{"long username", SCRAMSHA256, false, "n,,n=" + strings.Repeat("a", 1024) + ",r=abc", MalformedRequest},
		{"missing nonce", SCRAMSHA256, false, "n,,n=alice", MalformedRequest},
		{"empty nonce", SCRAMSHA256, false, "n,,n=alice,r=", MalformedRequest},
		{"nonce with space", SCRAMSHA256, false, "n,,n=alice,r=a b", MalformedRequest},
		{"trailing comma", SCRAMSHA256, false, "n,,n=alice,r=abc,", MalformedRequest},
		{"repeated attribute", SCRAMSHA256, false, "n,,n=alice,r=abc,r=def", MalformedRequest},
		{"bad gs2 flag", SCRAMSHA256, false, "x,,n=alice,r=abc", MalformedRequest},
		{"missing gs2", SCRAMSHA256, false, "n=alice,r=abc", MalformedRequest},
		{"bad authzid attr", SCRAMSHA256, false, "n,b=alice,n=alice,r=abc", MalformedRequest},
		{"empty authzid", SCRAMSHA256, false, "n,a=,n=alice,r=abc", MalformedRequest},
		{"attribute order", SCRAMSHA256, false, "n,,r=abc,n=alice", MalformedRequest},
		{"too long", SCRAMSHA256, false, "n,,n=alice,r=abc,x=" + strings.Repeat("a", maxMessage), MalformedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{})
			ci := ConnInfo{Host: testHost}
			if tt.tls {
				ci = tls13.connInfo()
			}
			ex, err := s.Start(tt.mech, ci)
			if err != nil {
				t.Fatal(err)
			}
			out, done, err := ex.Step(context.Background(), []byte(tt.msg))
			if tt.condition == "" {
				if err != nil || done || !bytes.HasPrefix(out, []byte("r=abc")) {
					t.Fatalf("got %q, %v, %v", out, done, err)
				}
				return
			}
			if f := asFailure(t, err); f.Condition != tt.condition {
				t.Fatalf("got %v, want %s", err, tt.condition)
			}
			if _, _, err := ex.Step(context.Background(), []byte("c=biws,r=abc,p=AAAA")); asFailure(t, err).Condition != MalformedRequest {
				t.Errorf("Step after failure: %v", err)
			}
		})
	}
}

// TestSCRAMNoInitialResponse: <auth/> without data gets an empty
// challenge, once.
func TestSCRAMNoInitialResponse(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	ctx := context.Background()
	t.Run("then client-first", func(t *testing.T) {
		ex, _ := s.Start(SCRAMSHA256, ConnInfo{Host: testHost})
		out, done, err := ex.Step(ctx, nil)
		if err != nil || done || out == nil || len(out) != 0 {
			t.Fatalf("got %q %v %v, want an empty challenge", out, done, err)
		}
		c, _ := scram.NewClient(scram.ClientConfig{Hash: scram.SHA256, Username: "alice", Password: "wonderland"})
		out, _, err = ex.Step(ctx, c.First())
		if err != nil {
			t.Fatal(err)
		}
		final, err := c.Final(out)
		if err != nil {
			t.Fatal(err)
		}
		out, done, err = ex.Step(ctx, final)
		if err != nil || !done || c.Verify(out) != nil {
			t.Fatalf("final: %v %v", done, err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		ex, _ := s.Start(SCRAMSHA256, ConnInfo{Host: testHost})
		ex.Step(ctx, nil)
		if _, _, err := ex.Step(ctx, []byte{}); asFailure(t, err).Condition != MalformedRequest {
			t.Fatalf("got %v", err)
		}
	})
}

func TestStart(t *testing.T) {
	tls13, _ := fixtures(t)
	ed := handshake(t, tls.VersionTLS12, ed25519Cert(t))
	tests := []struct {
		name      string
		cfg       Config
		mech      string
		ci        ConnInfo
		condition string
	}{
		{"unknown", Config{}, "DIGEST-MD5", ConnInfo{}, InvalidMechanism},
		{"lower case", Config{}, "scram-sha-256", ConnInfo{}, InvalidMechanism},
		{"PLUS without TLS", Config{}, SCRAMSHA256Plus, ConnInfo{}, InvalidMechanism},
		{"PLAIN without TLS", Config{}, Plain, ConnInfo{}, EncryptionRequired},
		{"disabled", Config{Mechanisms: []string{SCRAMSHA512}}, SCRAMSHA256, ConnInfo{}, InvalidMechanism},
		{"PLUS ok", Config{}, SCRAMSHA512Plus, tls13.connInfo(), ""},
		{"PLUS via end-point only", Config{}, SCRAMSHA1Plus,
			ConnInfo{TLS: &tls13.server, ServerCert: tls13.cert}, ""},
		// TLS 1.2 with an Ed25519 certificate: exporter still works.
		{"PLUS Ed25519 TLS1.2", Config{}, SCRAMSHA256Plus, ed.connInfo(), ""},
		{"PLAIN ok", Config{}, Plain, tls13.connInfo(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, tt.cfg)
			ex, err := s.Start(tt.mech, tt.ci)
			if tt.condition == "" {
				if err != nil || ex == nil {
					t.Fatalf("Start: %v", err)
				}
				return
			}
			if f := asFailure(t, err); f.Condition != tt.condition {
				t.Fatalf("got %v, want %s", err, tt.condition)
			}
		})
	}
}

func TestMechanisms(t *testing.T) {
	tls13, tls12 := fixtures(t)
	ed := handshake(t, tls.VersionTLS13, ed25519Cert(t))
	all := []string{SCRAMSHA512Plus, SCRAMSHA256Plus, SCRAMSHA1Plus, SCRAMSHA512, SCRAMSHA256, SCRAMSHA1, Plain}
	noPlus := []string{SCRAMSHA512, SCRAMSHA256, SCRAMSHA1, Plain}
	tests := []struct {
		name     string
		cfg      Config
		ci       ConnInfo
		mechs    []string
		bindings []string
	}{
		{"plaintext", Config{}, ConnInfo{Host: testHost},
			[]string{SCRAMSHA512, SCRAMSHA256, SCRAMSHA1}, nil},
		{"TLS1.3", Config{}, tls13.connInfo(), all, []string{TLSExporter, TLSServerEndPoint}},
		{"TLS1.2", Config{}, tls12.connInfo(), all, []string{TLSExporter, TLSServerEndPoint}},
		{"TLS1.3 without ServerCert", Config{}, ConnInfo{TLS: &tls13.server}, all, []string{TLSExporter}},
		{"TLS1.3 Ed25519", Config{}, ed.connInfo(), all, []string{TLSExporter}},
		{"handshake not complete", Config{}, ConnInfo{TLS: &tls.ConnectionState{Version: tls.VersionTLS13}},
			[]string{SCRAMSHA512, SCRAMSHA256, SCRAMSHA1}, nil},
		{"state without exporter", Config{}, ConnInfo{TLS: &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true}},
			noPlus, nil},
		{"restricted", Config{Mechanisms: []string{Plain, SCRAMSHA256Plus, SCRAMSHA256}}, tls13.connInfo(),
			[]string{SCRAMSHA256Plus, SCRAMSHA256, Plain}, []string{TLSExporter, TLSServerEndPoint}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, tt.cfg)
			if got := s.Mechanisms(tt.ci); strings.Join(got, " ") != strings.Join(tt.mechs, " ") {
				t.Errorf("Mechanisms = %v, want %v", got, tt.mechs)
			}
			if got := s.ChannelBindingTypes(tt.ci); strings.Join(got, " ") != strings.Join(tt.bindings, " ") {
				t.Errorf("ChannelBindingTypes = %v, want %v", got, tt.bindings)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"known", Config{Mechanisms: []string{Plain, SCRAMSHA1Plus}, Iterations: 10000}, true},
		{"unknown", Config{Mechanisms: []string{"CRAM-MD5"}}, false},
		{"negative", Config{Iterations: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}

func TestFailureIs(t *testing.T) {
	cause := errors.New("disk")
	var err error = &Failure{Condition: TemporaryAuthFailure, Cause: cause}
	if !errors.Is(err, &Failure{Condition: TemporaryAuthFailure}) || errors.Is(err, &Failure{Condition: NotAuthorized}) {
		t.Error("Is by condition")
	}
	if !errors.Is(err, cause) {
		t.Error("Unwrap")
	}
	if strings.Contains(err.Error(), "disk") {
		t.Error("Error() carries the cause")
	}
}

// Unusable stored keys behave as an unknown user.
func TestSCRAMIncompleteKeys(t *testing.T) {
	s, src := newTestServer(t, Config{})
	c := credsFor(t, "pw")
	c.SHA256 = storage.SCRAMKeys{}
	c.SHA512.StoredKey = c.SHA512.StoredKey[:10]
	src.add(testHost, "dave", c)
	for _, h := range []string{scram.SHA256, scram.SHA512} {
		run := runSCRAM(t, s, ConnInfo{Host: testHost}, scram.ClientConfig{Hash: h, Username: "dave", Password: "pw"}, nil)
		if run.stage != 2 || asFailure(t, run.err).Condition != NotAuthorized {
			t.Errorf("%s: stage %d %v", h, run.stage, run.err)
		}
	}
	if run := runSCRAM(t, s, ConnInfo{Host: testHost}, scram.ClientConfig{Hash: scram.SHA1, Username: "dave", Password: "pw"}, nil); run.err != nil {
		t.Errorf("SHA-1 keys intact but: %v", run.err)
	}
}
