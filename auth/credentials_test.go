package auth

import (
	"bytes"
	"testing"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

func TestDeriveCredentials(t *testing.T) {
	c, err := DeriveCredentials("correct horse", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hash string
		keys storage.SCRAMKeys
		size int
	}{{scram.SHA1, c.SHA1, 20}, {scram.SHA256, c.SHA256, 32}, {scram.SHA512, c.SHA512, 64}} {
		t.Run(tt.hash, func(t *testing.T) {
			k := tt.keys
			if len(k.Salt) != 16 || k.Iterations != 4096 || len(k.StoredKey) != tt.size || len(k.ServerKey) != tt.size {
				t.Fatalf("keys %+v", k)
			}
			if !VerifyPassword(k, tt.hash, "correct horse") {
				t.Error("right password refused")
			}
			if VerifyPassword(k, tt.hash, "correct horsE") {
				t.Error("wrong password accepted")
			}
			if VerifyPassword(k, "SHA-3", "correct horse") {
				t.Error("unknown hash accepted")
			}
		})
	}
	if bytes.Equal(c.SHA1.Salt, c.SHA256.Salt[:16]) || bytes.Equal(c.SHA256.Salt, c.SHA512.Salt) {
		t.Error("salts shared between hashes")
	}
	if d, _ := DeriveCredentials("correct horse", 0); bytes.Equal(d.SHA256.Salt, c.SHA256.Salt) {
		t.Error("salt not random")
	}
	if d, err := DeriveCredentials("pw", 5000); err != nil || d.SHA256.Iterations != 5000 {
		t.Errorf("iterations: %v %v", d.SHA256.Iterations, err)
	}
}

func TestDeriveCredentialsRejects(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		iter int
	}{
		{"empty", "", 0},
		{"invalid UTF-8", "pa\xffss", 0},
		{"NUL", "pa\x00ss", 0},
		{"control", "pa\x7fss", 0},
		{"C1 control", "pa\u0085ss", 0},
		{"negative iterations", "pw", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DeriveCredentials(tt.pw, tt.iter); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestVerifyPasswordIncompleteKeys(t *testing.T) {
	c := credsFor(t, "pw")
	k := c.SHA256
	for name, bad := range map[string]storage.SCRAMKeys{
		"zero":          {},
		"no salt":       {Iterations: k.Iterations, StoredKey: k.StoredKey, ServerKey: k.ServerKey},
		"no iterations": {Salt: k.Salt, StoredKey: k.StoredKey, ServerKey: k.ServerKey},
		"short key":     {Salt: k.Salt, Iterations: k.Iterations, StoredKey: k.StoredKey[:31], ServerKey: k.ServerKey},
	} {
		if VerifyPassword(bad, scram.SHA256, "pw") {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPayload(t *testing.T) {
	tests := []struct {
		text string
		want []byte
		fail bool
	}{
		{"", nil, false},
		{"=", []byte{}, false},
		{"biws", []byte("n,,"), false},
		{"biw", nil, true},
		{"bi\nws", nil, true},
		{"bi ws", nil, true},
		{"bh==", nil, true}, // non-canonical trailing bits
		{"b!ws", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := DecodePayload([]byte(tt.text))
			if tt.fail {
				if asFailure(t, err).Condition != IncorrectEncoding {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Fatalf("got %q %v", got, err)
			}
		})
	}
}
