package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

const (
	hostA = "example.com"
	hostB = "example.net"
)

func runUsers(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"Lifecycle", testLifecycle},
		{"Errors", testErrors},
		{"CredentialsRoundTrip", testCredentialsRoundTrip},
		{"CredentialsAreCopies", testCredentialsAreCopies},
		{"HostsAreSeparate", testHostsAreSeparate},
		{"ListOrder", testListOrder},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ConcurrentDuplicate", testConcurrentDuplicate},
		{"ReadsNeverTorn", testReadsNeverTorn},
		{"CanceledContext", testCanceledContext},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, f.New(t))
		})
	}
}

// testLifecycle walks one account through every Users method.
func testLifecycle(t *testing.T, s storage.Store) {
	ctx := t.Context()
	c1, c2 := creds(1), creds(2)

	mustExist(t, s, hostA, "alice", false)
	if err := s.CreateUser(ctx, hostA, "alice", c1); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	mustExist(t, s, hostA, "alice", true)
	mustCreds(t, s, hostA, "alice", c1)
	mustList(t, s, hostA, "alice")

	if err := s.SetCredentials(ctx, hostA, "alice", c2); err != nil {
		t.Fatalf("SetCredentials: %v", err)
	}
	mustCreds(t, s, hostA, "alice", c2)

	if err := s.DeleteUser(ctx, hostA, "alice"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	mustExist(t, s, hostA, "alice", false)
	if _, err := s.Credentials(ctx, hostA, "alice"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Credentials after delete: err = %v, want ErrNotFound", err)
	}
	mustList(t, s, hostA)
}

// testErrors checks the sentinel errors. Cases share one store, each with
// its own username, after seed creates "taken".
func testErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if err := s.CreateUser(ctx, hostA, "taken", creds(1)); err != nil {
		t.Fatalf("seed CreateUser: %v", err)
	}
	tests := []struct {
		name string
		op   func(ctx context.Context) error
		want error // nil: must succeed
	}{
		{"create existing", func(ctx context.Context) error {
			return s.CreateUser(ctx, hostA, "taken", creds(2))
		}, storage.ErrExists},
		{"create existing other keys leaves first keys", func(ctx context.Context) error {
			_ = s.CreateUser(ctx, hostA, "taken", creds(3))
			got, err := s.Credentials(ctx, hostA, "taken")
			if err != nil {
				return err
			}
			if !equalCreds(got, creds(1)) {
				return errors.New("a refused CreateUser changed the stored keys")
			}
			return nil
		}, nil},
		{"delete missing", func(ctx context.Context) error {
			return s.DeleteUser(ctx, hostA, "nobody")
		}, storage.ErrNotFound},
		{"delete twice", func(ctx context.Context) error {
			if err := s.CreateUser(ctx, hostA, "twice", creds(1)); err != nil {
				return err
			}
			if err := s.DeleteUser(ctx, hostA, "twice"); err != nil {
				return err
			}
			return s.DeleteUser(ctx, hostA, "twice")
		}, storage.ErrNotFound},
		{"set credentials missing", func(ctx context.Context) error {
			return s.SetCredentials(ctx, hostA, "nobody", creds(1))
		}, storage.ErrNotFound},
		{"set credentials does not create", func(ctx context.Context) error {
			_ = s.SetCredentials(ctx, hostA, "ghost", creds(1))
			_, err := s.Credentials(ctx, hostA, "ghost")
			return err
		}, storage.ErrNotFound},
		{"credentials missing", func(ctx context.Context) error {
			_, err := s.Credentials(ctx, hostA, "nobody")
			return err
		}, storage.ErrNotFound},
		{"credentials of known user on unknown host", func(ctx context.Context) error {
			_, err := s.Credentials(ctx, "unknown.example", "taken")
			return err
		}, storage.ErrNotFound},
		{"recreate after delete", func(ctx context.Context) error {
			if err := s.CreateUser(ctx, hostA, "phoenix", creds(1)); err != nil {
				return err
			}
			if err := s.DeleteUser(ctx, hostA, "phoenix"); err != nil {
				return err
			}
			if err := s.CreateUser(ctx, hostA, "phoenix", creds(2)); err != nil {
				return err
			}
			got, err := s.Credentials(ctx, hostA, "phoenix")
			if err == nil && !equalCreds(got, creds(2)) {
				err = errors.New("recreated account has the old keys")
			}
			return err
		}, nil},
		{"usernames compare exactly", func(ctx context.Context) error {
			// Normalizing is PRECIS's job, before storage: the store must
			// not fold case or width behind the caller's back.
			return s.CreateUser(ctx, hostA, "Taken", creds(2))
		}, nil},
		{"maximum localpart length", func(ctx context.Context) error {
			long := strings.Repeat("é", 511) + "x" // 1023 bytes, RFC 7622 §3.3.1
			if err := s.CreateUser(ctx, hostA, long, creds(4)); err != nil {
				return err
			}
			got, err := s.Credentials(ctx, hostA, long)
			if err == nil && !equalCreds(got, creds(4)) {
				err = errors.New("keys differ")
			}
			return err
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op(t.Context())
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("err = %v, want nil", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// testCredentialsRoundTrip stores awkward keys and wants every byte back.
func testCredentialsRoundTrip(t *testing.T, s storage.Store) {
	edgy := []byte{0x00, 0xff, 0x00, 0x27, 0x5c, 0x00} // NUL, quote, backslash, trailing NUL
	tests := []struct {
		name string
		c    storage.Credentials
	}{
		{"all hashes", creds(7)},
		{"only SHA-256", storage.Credentials{SHA256: creds(8).SHA256}},
		{"only SHA-1 and SHA-512", storage.Credentials{SHA1: creds(9).SHA1, SHA512: creds(9).SHA512}},
		{"no keys at all", storage.Credentials{}},
		{"awkward bytes", storage.Credentials{
			SHA1:   storage.SCRAMKeys{Salt: edgy, Iterations: 1, StoredKey: edgy, ServerKey: bytes.Repeat([]byte{0}, 20)},
			SHA256: storage.SCRAMKeys{Salt: []byte{0}, Iterations: math.MaxInt32, StoredKey: bytes.Repeat([]byte{0xff}, 32), ServerKey: edgy},
		}},
		{"long salt", storage.Credentials{SHA512: storage.SCRAMKeys{
			Salt: randBytes(rand.New(rand.NewPCG(1, 2)), 4096), Iterations: 10000,
			StoredKey: randBytes(rand.New(rand.NewPCG(3, 4)), 64), ServerKey: randBytes(rand.New(rand.NewPCG(5, 6)), 64),
		}}},
	}
	ctx := t.Context()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("roundtrip%d", i)
			if err := s.CreateUser(ctx, hostA, user, tc.c); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			mustCreds(t, s, hostA, user, tc.c)

			// The same keys through SetCredentials, after different ones.
			if err := s.SetCredentials(ctx, hostA, user, creds(99)); err != nil {
				t.Fatalf("SetCredentials: %v", err)
			}
			if err := s.SetCredentials(ctx, hostA, user, tc.c); err != nil {
				t.Fatalf("SetCredentials: %v", err)
			}
			mustCreds(t, s, hostA, user, tc.c)
		})
	}
}

// testCredentialsAreCopies checks that the store keeps no alias of the
// caller's slices and hands out none of its own.
func testCredentialsAreCopies(t *testing.T, s storage.Store) {
	ctx := t.Context()
	in := creds(5)
	want := creds(5)
	if err := s.CreateUser(ctx, hostA, "alice", in); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	in.SHA256.StoredKey[0] ^= 0xff
	got, err := s.Credentials(ctx, hostA, "alice")
	if err != nil {
		t.Fatalf("Credentials: %v", err)
	}
	if !equalCreds(got, want) {
		t.Fatal("changing the caller's slice after CreateUser changed the stored keys")
	}
	got.SHA256.ServerKey[0] ^= 0xff
	mustCreds(t, s, hostA, "alice", want)
}

// testHostsAreSeparate checks that host is part of the key.
func testHostsAreSeparate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if err := s.CreateUser(ctx, hostA, "alice", creds(1)); err != nil {
		t.Fatalf("CreateUser A: %v", err)
	}
	mustExist(t, s, hostB, "alice", false)
	if err := s.CreateUser(ctx, hostB, "alice", creds(2)); err != nil {
		t.Fatalf("CreateUser B: %v", err)
	}
	if err := s.CreateUser(ctx, hostB, "bob", creds(3)); err != nil {
		t.Fatalf("CreateUser B bob: %v", err)
	}
	mustCreds(t, s, hostA, "alice", creds(1))
	mustCreds(t, s, hostB, "alice", creds(2))
	mustList(t, s, hostA, "alice")
	mustList(t, s, hostB, "alice", "bob")

	if err := s.SetCredentials(ctx, hostA, "alice", creds(4)); err != nil {
		t.Fatalf("SetCredentials A: %v", err)
	}
	mustCreds(t, s, hostB, "alice", creds(2))

	if err := s.DeleteUser(ctx, hostB, "alice"); err != nil {
		t.Fatalf("DeleteUser B: %v", err)
	}
	mustExist(t, s, hostA, "alice", true)
	mustCreds(t, s, hostA, "alice", creds(4))
	mustList(t, s, hostB, "bob")
	mustList(t, s, "empty.example")
}

// testListOrder wants byte order, which a database collation would break
// (case, accents, punctuation and digits all sort differently under
// locales).
func testListOrder(t *testing.T, s storage.Store) {
	names := []string{"zed", "alice", "Bob", "bob", "b", "ba", "a-b", "a_b", "a.b",
		"é", "e", "f", "ä", "z", "0", "10", "9", "日本", "Ω", "ω", "aa", "a"}
	want := slices.Clone(names)
	slices.Sort(want)
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	for _, n := range shuffled {
		if err := s.CreateUser(t.Context(), hostA, n, storage.Credentials{}); err != nil {
			t.Fatalf("CreateUser %q: %v", n, err)
		}
	}
	if err := s.CreateUser(t.Context(), hostB, "middle", storage.Credentials{}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	mustList(t, s, hostA, want...)
}

// testConcurrentCreate creates distinct accounts from many goroutines,
// which on SQLite means queueing for the single writer.
func testConcurrentCreate(t *testing.T, s storage.Store) {
	const workers, each = 16, 16
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				if err := s.CreateUser(ctx, hostA, fmt.Sprintf("u%03d", n), creds(n)); err != nil {
					errs <- fmt.Errorf("u%03d: %w", n, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	want := make([]string, workers*each)
	for n := range want {
		want[n] = fmt.Sprintf("u%03d", n)
	}
	mustList(t, s, hostA, want...)
	for _, n := range []int{0, 17, workers*each - 1} {
		mustCreds(t, s, hostA, fmt.Sprintf("u%03d", n), creds(n))
	}
}

// testConcurrentDuplicate races many creates of one account: exactly one
// wins and the rest get ErrExists.
func testConcurrentDuplicate(t *testing.T, s storage.Store) {
	const workers = 16
	ctx := t.Context()
	var wg sync.WaitGroup
	results := make(chan error, workers)
	for w := range workers {
		wg.Go(func() { results <- s.CreateUser(ctx, hostA, "contested", creds(w)) })
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, storage.ErrExists):
			t.Errorf("CreateUser: err = %v, want nil or ErrExists", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creates succeeded, want exactly 1", won)
	}
}

// testReadsNeverTorn reads while another goroutine replaces the keys: every
// read must see one whole version, never hashes from two.
func testReadsNeverTorn(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if err := s.CreateUser(ctx, hostA, "alice", creds(0)); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	const versions = 50
	var wg sync.WaitGroup
	wg.Go(func() {
		for v := 1; v <= versions; v++ {
			if err := s.SetCredentials(ctx, hostA, "alice", creds(v)); err != nil {
				t.Errorf("SetCredentials: %v", err)
				return
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range versions {
				got, err := s.Credentials(ctx, hostA, "alice")
				if err != nil {
					t.Errorf("Credentials: %v", err)
					return
				}
				v := got.SHA1.Iterations - 4096
				if v < 0 || v > versions || !equalCreds(got, creds(v)) {
					t.Errorf("read a mix of versions: %+v", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

// testCanceledContext wants every method to give up on a canceled context
// and say so through the error.
func testCanceledContext(t *testing.T, s storage.Store) {
	if err := s.CreateUser(t.Context(), hostA, "alice", creds(1)); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ops := map[string]func() error{
		"CreateUser":     func() error { return s.CreateUser(ctx, hostA, "bob", creds(1)) },
		"DeleteUser":     func() error { return s.DeleteUser(ctx, hostA, "alice") },
		"SetCredentials": func() error { return s.SetCredentials(ctx, hostA, "alice", creds(2)) },
		"Credentials":    func() error { _, err := s.Credentials(ctx, hostA, "alice"); return err },
		"UserExists":     func() error { _, err := s.UserExists(ctx, hostA, "alice"); return err },
		"ListUsers":      func() error { _, err := s.ListUsers(ctx, hostA); return err },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
	}
	mustCreds(t, s, hostA, "alice", creds(1))
	mustExist(t, s, hostA, "bob", false)
}
