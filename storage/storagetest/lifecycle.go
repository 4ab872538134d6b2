package storagetest

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// runMigrate checks that Migrate on an up-to-date store changes nothing.
func runMigrate(t *testing.T, f Factory) {
	t.Parallel()
	s := f.New(t)
	ctx := t.Context()
	if err := s.CreateUser(ctx, hostA, "alice", creds(1)); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	for i := range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d on a migrated store: %v", i+1, err)
		}
	}
	mustCreds(t, s, hostA, "alice", creds(1))
	mustList(t, s, hostA, "alice")
}

// runRestart closes a store and opens its data again, as a server restart
// does: everything written before Close is there after.
func runRestart(t *testing.T, f Factory) {
	t.Parallel()
	s := f.New(t)
	ctx := t.Context()
	for i, u := range []string{"alice", "bob", "carol"} {
		if err := s.CreateUser(ctx, hostA, u, creds(i)); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	if err := s.CreateUser(ctx, hostB, "alice", storage.Credentials{}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := s.SetCredentials(ctx, hostA, "bob", creds(10)); err != nil {
		t.Fatalf("SetCredentials: %v", err)
	}
	if err := s.DeleteUser(ctx, hostA, "carol"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = f.Reopen(t, s)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after reopen: %v", err)
	}
	mustList(t, s, hostA, "alice", "bob")
	mustList(t, s, hostB, "alice")
	mustCreds(t, s, hostA, "alice", creds(0))
	mustCreds(t, s, hostA, "bob", creds(10))
	mustCreds(t, s, hostB, "alice", storage.Credentials{})
	mustExist(t, s, hostA, "carol", false)

	// A second restart, this time without writes in between.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = f.Reopen(t, s)
	mustCreds(t, s, hostA, "bob", creds(10))
}
