package storagetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// creds returns distinct, deterministic keys for seed, with the sizes SCRAM
// produces for each hash. Iterations encode the seed so that a reader can
// tell which version it got.
func creds(seed int) storage.Credentials {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6d65657263617421))
	keys := func(n int) storage.SCRAMKeys {
		return storage.SCRAMKeys{
			Salt:       randBytes(r, 16),
			Iterations: 4096 + seed,
			StoredKey:  randBytes(r, n),
			ServerKey:  randBytes(r, n),
		}
	}
	return storage.Credentials{SHA1: keys(20), SHA256: keys(32), SHA512: keys(64)}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// equalCreds compares byte for byte. nil and empty are equal: a backend may
// return either for a hash without keys.
func equalCreds(a, b storage.Credentials) bool {
	eq := func(x, y storage.SCRAMKeys) bool {
		return x.Iterations == y.Iterations && bytes.Equal(x.Salt, y.Salt) &&
			bytes.Equal(x.StoredKey, y.StoredKey) && bytes.Equal(x.ServerKey, y.ServerKey)
	}
	return eq(a.SHA1, b.SHA1) && eq(a.SHA256, b.SHA256) && eq(a.SHA512, b.SHA512)
}

func fmtCreds(c storage.Credentials) string {
	k := func(x storage.SCRAMKeys) string {
		return fmt.Sprintf("{salt %x iter %d stored %x server %x}", x.Salt, x.Iterations, x.StoredKey, x.ServerKey)
	}
	return fmt.Sprintf("SHA1 %s SHA256 %s SHA512 %s", k(c.SHA1), k(c.SHA256), k(c.SHA512))
}

func mustCreds(t *testing.T, s storage.Users, host, user string, want storage.Credentials) {
	t.Helper()
	got, err := s.Credentials(t.Context(), host, user)
	if err != nil {
		t.Fatalf("Credentials(%s, %s): %v", host, user, err)
	}
	if !equalCreds(got, want) {
		t.Fatalf("Credentials(%s, %s):\n got %s\nwant %s", host, user, fmtCreds(got), fmtCreds(want))
	}
	pairs := []struct {
		name      string
		got, want storage.SCRAMKeys
	}{{"SHA1", got.SHA1, want.SHA1}, {"SHA256", got.SHA256, want.SHA256}, {"SHA512", got.SHA512, want.SHA512}}
	for _, p := range pairs {
		if p.got.IsZero() != p.want.IsZero() {
			t.Fatalf("Credentials(%s, %s): %s IsZero = %v, want %v", host, user, p.name, p.got.IsZero(), p.want.IsZero())
		}
	}
}

func mustExist(t *testing.T, s storage.Users, host, user string, want bool) {
	t.Helper()
	got, err := s.UserExists(t.Context(), host, user)
	if err != nil {
		t.Fatalf("UserExists(%s, %s): %v", host, user, err)
	}
	if got != want {
		t.Fatalf("UserExists(%s, %s) = %v, want %v", host, user, got, want)
	}
}

func mustList(t *testing.T, s storage.Users, host string, want ...string) {
	t.Helper()
	got, err := s.ListUsers(t.Context(), host)
	if err != nil {
		t.Fatalf("ListUsers(%s): %v", host, err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListUsers(%s):\n got %q\nwant %q", host, got, want)
	}
}
