package auth

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
)

// checkStep asserts the fuzz contract: no panic (implicit), and every
// error is a *Failure with a known condition.
func checkStep(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("error %v (%T) is not a *Failure", err, err)
	}
	switch f.Condition {
	case MalformedRequest, NotAuthorized, InvalidAuthzid, TemporaryAuthFailure:
	default:
		t.Fatalf("unexpected condition %q", f.Condition)
	}
}

var fuzzMechs = []string{SCRAMSHA1, SCRAMSHA256, SCRAMSHA512, SCRAMSHA1Plus, SCRAMSHA256Plus, SCRAMSHA512Plus}

func FuzzSCRAMClientFirst(f *testing.F) {
	for i, seed := range []string{
		"n,,n=alice,r=abc",
		"y,,n=alice,r=abc",
		"p=tls-exporter,,n=alice,r=abc",
		"p=tls-server-end-point,a=alice@example.com,n=alice,r=abc,x=ext",
		"n,a=al=2Cice,n=al=3Dice,r=abc",
		"n,,m=ext,n=alice,r=abc",
		"n,,n=,r=",
		"p=,,",
		",,,,",
		"n,,n=alice,r=abc,",
		"n,,n=a\xffb,r=\x7f",
	} {
		f.Add(uint8(i), []byte(seed))
	}
	tls13, _ := fixtures(f)
	s, _ := newTestServer(f, Config{})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		ci := ConnInfo{Host: testHost}
		if sel&0x80 != 0 {
			ci = tls13.connInfo()
		}
		ex, err := s.Start(fuzzMechs[int(sel&0x7f)%len(fuzzMechs)], ci)
		if err != nil {
			return // -PLUS without TLS
		}
		out, done, err := ex.Step(ctx, data)
		checkStep(t, err)
		if done {
			t.Fatal("done after client-first")
		}
		if err == nil && len(data) > 0 && !bytes.HasPrefix(out, []byte("r=")) {
			t.Fatalf("server-first %q", out)
		}
	})
}

// finalFixture is a SCRAM exchange stopped after the server-first-message.
type finalFixture struct {
	mech        string
	ci          ConnInfo
	clientFirst []byte
	clientFinal []byte
}

func FuzzSCRAMClientFinal(f *testing.F) {
	tls13, _ := fixtures(f)
	s, _ := newTestServer(f, Config{})
	s.serverNonce = "fuzz-server-nonce"
	ctx := context.Background()
	var fixtures []finalFixture
	for _, cfg := range []scram.ClientConfig{
		{Hash: scram.SHA256, Username: "alice", Password: "wonderland"},
		{Hash: scram.SHA256, Username: "mallory", Password: "wonderland"},
		{Hash: scram.SHA1, Username: "alice", Password: "wonderland", ChannelBinding: TLSExporter,
			ChannelBindingData: tls13.clientBinding(f, TLSExporter)},
	} {
		c, err := scram.NewClient(cfg)
		if err != nil {
			f.Fatal(err)
		}
		fx := finalFixture{mech: c.Mechanism(), ci: ConnInfo{Host: testHost}, clientFirst: c.First()}
		if cfg.ChannelBinding != "" {
			fx.ci = tls13.connInfo()
		}
		ex, err := s.Start(fx.mech, fx.ci)
		if err != nil {
			f.Fatal(err)
		}
		out, _, err := ex.Step(ctx, fx.clientFirst)
		if err != nil {
			f.Fatal(err)
		}
		if fx.clientFinal, err = c.Final(out); err != nil {
			f.Fatal(err)
		}
		fixtures = append(fixtures, fx)
		i := uint8(len(fixtures) - 1)
		f.Add(i, fx.clientFinal)
		f.Add(i, flipProof(fx.clientFinal))
		f.Add(i, replaceAttr(fx.clientFinal, 'c', "eSws"))
		f.Add(i, bytes.Replace(fx.clientFinal, []byte(",p="), []byte(",x=1,p="), 1))
	}
	for _, seed := range []string{"", ",", "p=", "c=,r=,p=", "c=biws,r=x,p=====", "c=biws,p=AAAA"} {
		f.Add(uint8(0), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		fx := fixtures[int(sel)%len(fixtures)]
		ex, err := s.Start(fx.mech, fx.ci)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ex.Step(ctx, fx.clientFirst); err != nil {
			t.Fatal(err)
		}
		out, done, err := ex.Step(ctx, data)
		checkStep(t, err)
		if err == nil {
			if !done || !bytes.HasPrefix(out, []byte("v=")) || ex.Username() != "alice" {
				t.Fatalf("accepted %q: done=%v out=%q user=%q", data, done, out, ex.Username())
			}
		}
		if _, _, err := ex.Step(ctx, data); err == nil {
			t.Fatal("third step accepted")
		}
	})
}

func FuzzPLAIN(f *testing.F) {
	for _, seed := range []string{
		"\x00alice\x00wonderland",
		"alice@example.com\x00alice\x00wonderland",
		"\x00mallory\x00x",
		"\x00\x00",
		"alice",
		"\x00alice\x00wonder\x00land",
		"\xff\x00\xfe\x00\xfd",
	} {
		f.Add([]byte(seed))
	}
	tls13, _ := fixtures(f)
	src := &memSource{}
	creds, err := DeriveCredentials("wonderland", 1) // cheap PBKDF2 for fuzzing
	if err != nil {
		f.Fatal(err)
	}
	src.add(testHost, "alice", creds)
	s := NewServer(Config{FakeSaltSecret: []byte("k"), Iterations: 1}, src)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		ex, err := s.Start(Plain, tls13.connInfo())
		if err != nil {
			t.Fatal(err)
		}
		out, done, err := ex.Step(ctx, data)
		checkStep(t, err)
		if done && (out != nil || ex.Username() != "alice") {
			t.Fatalf("accepted %q as %q", data, ex.Username())
		}
	})
}
