// Package storagetest is the contract every storage backend passes. A
// backend's own test opens its stores through a Factory and hands it to Run:
//
//	func TestContract(t *testing.T) {
//		storagetest.Run(t, storagetest.Factory{
//			New:    func(t *testing.T) storage.Store { ... fresh, migrated ... },
//			Reopen: func(t *testing.T, old storage.Store) storage.Store { ... same data ... },
//		})
//	}
//
// Run groups its tests by concern (Users, Roster, Offline, VCards,
// PrivateXML, Blocklists, LastActivity, Rooms, and what spans them: account
// deletion, restart, canceled contexts), so a new interface adds one file
// here and every backend is held to it at once. RunObserve checks that a
// backend reports every operation to its Observer, and the Benchmark
// functions measure the hot paths.
package storagetest

import (
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// Factory opens stores of one backend for Run.
type Factory struct {
	// New returns a store on a fresh, empty database that is already
	// migrated, and closes it at t.Cleanup. The suite calls it once per
	// test, from parallel tests.
	New func(t *testing.T) storage.Store
	// Reopen returns a new store on the data old used, and closes it at
	// t.Cleanup. The suite has already closed old, as a restart would.
	Reopen func(t *testing.T, old storage.Store) storage.Store
}

// Run runs the whole contract against f's backend. Each test gets its own
// store from f.New and runs in parallel with the others.
func Run(t *testing.T, f Factory) {
	t.Helper()
	if f.New == nil || f.Reopen == nil {
		t.Fatal("storagetest: Factory needs both New and Reopen")
	}
	t.Run("Users", func(t *testing.T) { runUsers(t, f) })
	t.Run("Roster", func(t *testing.T) { runRoster(t, f) })
	t.Run("Offline", func(t *testing.T) { runOffline(t, f) })
	t.Run("VCards", func(t *testing.T) { runEach(t, f, vcardTests) })
	t.Run("PrivateXML", func(t *testing.T) { runEach(t, f, privateTests) })
	t.Run("Blocklists", func(t *testing.T) { runEach(t, f, blocklistTests) })
	t.Run("LastActivity", func(t *testing.T) { runEach(t, f, lastActivityTests) })
	t.Run("Rooms", func(t *testing.T) { runEach(t, f, roomTests) })
	t.Run("Account", func(t *testing.T) { runAccount(t, f) })
	t.Run("Migrate", func(t *testing.T) { runMigrate(t, f) })
	t.Run("Restart", func(t *testing.T) { runRestart(t, f) })
}

// namedTest is one contract test on a fresh store.
type namedTest struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}

// runEach runs each test in parallel, on its own store from f.New.
func runEach(t *testing.T, f Factory, tests []namedTest) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, f.New(t))
		})
	}
}
