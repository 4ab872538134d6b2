package presence_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/meerkat-xmpp/meerkat/internal/servertest"
	"github.com/meerkat-xmpp/meerkat/module"
	"github.com/meerkat-xmpp/meerkat/modules/presence"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// countingStore counts whole-roster reads.
type countingStore struct {
	*servertest.MemStore
	reads atomic.Int32
}

func (s *countingStore) RosterItems(ctx context.Context, host, user string) ([]storage.RosterItem, string, error) {
	s.reads.Add(1)
	return s.MemStore.RosterItems(ctx, host, user)
}

// TestBroadcastReadsRosterOnce checks that initial presence (broadcast and
// probes) and an update each cost one roster read, and reach every contact.
func TestBroadcastReadsRosterOnce(t *testing.T) {
	const contacts = 20
	store := &countingStore{MemStore: servertest.NewMemStore()}
	bn := newBench(t, contacts, store, store.MemStore)
	hook := &bn.r.Hooks().PresenceChanged
	for i, initial := range []bool{true, false} {
		store.reads.Store(0)
		router.RunEvent(t.Context(), bn.r, hook, bn.event(t, initial))
		if n := store.reads.Load(); n != 1 {
			t.Errorf("initial=%v: %d roster reads, want 1", initial, n)
		}
		if got, want := bn.delivered(), int64(contacts*(i+1)); got != want {
			t.Errorf("initial=%v: %d stanzas delivered to contacts, want %d", initial, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := presence.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	err := presence.Config{MaxDirected: -1}.Validate()
	for _, key := range []string{"max_directed", "storage_timeout"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("bad config: %v, want an error naming %s", err, key)
		}
	}
	if _, err := presence.New(presence.Config{}); err == nil {
		t.Error("New accepted an invalid config")
	}
}

func TestStartNeedsStore(t *testing.T) {
	m, _ := presence.New(presence.DefaultConfig())
	r := router.New(router.Options{Hosts: []string{"localhost"}})
	err := module.NewSet(module.Deps{Router: r}).Start(t.Context(), []module.Module{m})
	if !errors.Is(err, presence.ErrNoRosterStore) {
		t.Fatalf("Start without a roster store: %v", err)
	}
}
