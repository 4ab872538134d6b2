package storagetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// RunObserve checks that a backend tells its Observer about every
// operation: open must return a fresh, migrated store that reports to obs.
// Each method is called once (some twice, to see an error), and each call
// must be reported exactly once, under its operation name, with a positive
// duration and the very error the caller got. Every name in storage.Ops
// must come up, so a new operation cannot be left unreported.
func RunObserve(t *testing.T, open func(t *testing.T, obs storage.Observer) storage.Store) {
	type call struct {
		op  string
		d   time.Duration
		err error
	}
	var (
		mu    sync.Mutex
		calls []call
	)
	s := open(t, func(op string, d time.Duration, err error) {
		mu.Lock()
		calls = append(calls, call{op, d, err})
		mu.Unlock()
	})
	const h, u = hostA, "alice"
	steps := []struct {
		op   string
		want error // nil: must succeed
		do   func(ctx context.Context) error
	}{
		{storage.OpMigrate, nil, s.Migrate},
		{storage.OpUserCreate, nil, func(ctx context.Context) error { return s.CreateUser(ctx, h, u, creds(1)) }},
		{storage.OpUserCreate, storage.ErrExists, func(ctx context.Context) error { return s.CreateUser(ctx, h, u, creds(1)) }},
		{storage.OpUserExists, nil, func(ctx context.Context) error { _, err := s.UserExists(ctx, h, u); return err }},
		{storage.OpUserList, nil, func(ctx context.Context) error { _, err := s.ListUsers(ctx, h); return err }},
		{storage.OpCredentialsGet, nil, func(ctx context.Context) error { _, err := s.Credentials(ctx, h, u); return err }},
		{storage.OpCredentialsSet, nil, func(ctx context.Context) error { return s.SetCredentials(ctx, h, u, creds(2)) }},

		{storage.OpRosterItemSet, nil, func(ctx context.Context) error { _, err := s.SetRosterItem(ctx, h, u, item("bob@x")); return err }},
		{storage.OpRosterItemSet, errAny, func(ctx context.Context) error {
			_, err := s.SetRosterItem(ctx, h, u, storage.RosterItem{JID: "bob@x"})
			return err
		}},
		{storage.OpRosterGet, nil, func(ctx context.Context) error { _, _, err := s.RosterItems(ctx, h, u); return err }},
		{storage.OpRosterItemGet, nil, func(ctx context.Context) error { _, err := s.RosterItem(ctx, h, u, "bob@x"); return err }},
		{storage.OpRosterVersionGet, nil, func(ctx context.Context) error { _, err := s.RosterVersion(ctx, h, u); return err }},
		{storage.OpRosterItemDelete, nil, func(ctx context.Context) error { _, err := s.DeleteRosterItem(ctx, h, u, "bob@x"); return err }},
		{storage.OpRosterItemDelete, storage.ErrNotFound, func(ctx context.Context) error {
			_, err := s.DeleteRosterItem(ctx, h, u, "bob@x")
			return err
		}},
		{storage.OpRosterItemGet, storage.ErrNotFound, func(ctx context.Context) error { _, err := s.RosterItem(ctx, h, u, "bob@x"); return err }},

		{storage.OpOfflineStore, nil, func(ctx context.Context) error { return s.StoreOffline(ctx, h, u, msg("bob@x", 1), 1) }},
		{storage.OpOfflineStore, storage.ErrLimit, func(ctx context.Context) error { return s.StoreOffline(ctx, h, u, msg("bob@x", 2), 1) }},
		{storage.OpOfflineList, nil, func(ctx context.Context) error { _, err := s.OfflineMessages(ctx, h, u); return err }},
		{storage.OpOfflineCount, nil, func(ctx context.Context) error { _, err := s.CountOffline(ctx, h, u); return err }},
		{storage.OpOfflineDelete, nil, func(ctx context.Context) error { return s.DeleteOffline(ctx, h, u, 1<<62) }},

		{storage.OpVCardGet, storage.ErrNotFound, func(ctx context.Context) error { _, err := s.VCard(ctx, h, u); return err }},
		{storage.OpVCardSet, nil, func(ctx context.Context) error { return s.SetVCard(ctx, h, u, vcard(1)) }},
		{storage.OpVCardGet, nil, func(ctx context.Context) error { _, err := s.VCard(ctx, h, u); return err }},

		{storage.OpPrivateGet, storage.ErrNotFound, func(ctx context.Context) error { _, err := s.PrivateXML(ctx, h, u, "a:b"); return err }},
		{storage.OpPrivateSet, nil, func(ctx context.Context) error { return s.SetPrivateXML(ctx, h, u, "a:b", vcard(2)) }},
		{storage.OpPrivateGet, nil, func(ctx context.Context) error { _, err := s.PrivateXML(ctx, h, u, "a:b"); return err }},

		{storage.OpBlocklistBlock, nil, func(ctx context.Context) error { return s.Block(ctx, h, u, []string{"spam@x"}) }},
		{storage.OpBlocklistBlock, nil, func(ctx context.Context) error { return s.Block(ctx, h, u, nil) }},
		{storage.OpBlocklistGet, nil, func(ctx context.Context) error { _, err := s.Blocklist(ctx, h, u); return err }},
		{storage.OpBlocklistUnblock, nil, func(ctx context.Context) error { return s.Unblock(ctx, h, u, nil) }},

		{storage.OpLastActivityGet, storage.ErrNotFound, func(ctx context.Context) error { _, _, err := s.LastActivity(ctx, h, u); return err }},
		{storage.OpLastActivitySet, nil, func(ctx context.Context) error { return s.SetLastActivity(ctx, h, u, time.Now(), "") }},
		{storage.OpLastActivityGet, nil, func(ctx context.Context) error { _, _, err := s.LastActivity(ctx, h, u); return err }},

		{storage.OpRoomSave, nil, func(ctx context.Context) error {
			return s.SaveRoom(ctx, storage.StoredRoom{Service: "conference." + h, Name: "r", Config: []byte("{}")})
		}},
		{storage.OpRoomList, nil, func(ctx context.Context) error { _, err := s.Rooms(ctx, "conference."+h); return err }},
		{storage.OpRoomAffSet, nil, func(ctx context.Context) error {
			return s.SetRoomAffiliation(ctx, "conference."+h, "r", storage.RoomAffiliation{JID: u + "@" + h, Affiliation: "owner"})
		}},
		{storage.OpRoomAffList, nil, func(ctx context.Context) error {
			_, err := s.RoomAffiliations(ctx, "conference."+h, "r")
			return err
		}},
		{storage.OpRoomHistorySet, nil, func(ctx context.Context) error {
			return s.SetRoomHistory(ctx, "conference."+h, "r", []storage.RoomMessage{{At: time.Now(), Stanza: []byte("<message/>")}})
		}},
		{storage.OpRoomHistoryGet, nil, func(ctx context.Context) error {
			_, err := s.RoomHistory(ctx, "conference."+h, "r")
			return err
		}},
		{storage.OpRoomDelete, nil, func(ctx context.Context) error { return s.DeleteRoom(ctx, "conference."+h, "r") }},
		{storage.OpRoomDelete, storage.ErrNotFound, func(ctx context.Context) error { return s.DeleteRoom(ctx, "conference."+h, "r") }},

		{storage.OpUserDelete, nil, func(ctx context.Context) error { return s.DeleteUser(ctx, h, u) }},
		{storage.OpUserDelete, storage.ErrNotFound, func(ctx context.Context) error { return s.DeleteUser(ctx, h, u) }},
		{storage.OpCredentialsGet, storage.ErrNotFound, func(ctx context.Context) error { _, err := s.Credentials(ctx, h, u); return err }},
	}

	mu.Lock()
	calls = nil // forget what opening the store reported
	mu.Unlock()
	seen := map[string]bool{}
	for i, st := range steps {
		err := st.do(t.Context())
		switch {
		case st.want == nil && err != nil:
			t.Fatalf("step %d (%s): err = %v", i, st.op, err)
		case st.want == errAny && err == nil:
			t.Fatalf("step %d (%s): succeeded, want an error", i, st.op)
		case st.want != nil && st.want != errAny && !errors.Is(err, st.want):
			t.Fatalf("step %d (%s): err = %v, want %v", i, st.op, err, st.want)
		}
		mu.Lock()
		got := calls
		calls = nil
		mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("step %d (%s): observed %d calls %v, want 1", i, st.op, len(got), got)
		}
		c := got[0]
		if c.op != st.op || c.err != err || c.d <= 0 {
			t.Errorf("step %d: observed (%s, %v, %v), want (%s, %v, > 0)", i, c.op, c.d, c.err, st.op, err)
		}
		if !slices.Contains(storage.Ops(), c.op) {
			t.Errorf("step %d: %q is not in storage.Ops()", i, c.op)
		}
		seen[c.op] = true
	}
	for _, op := range storage.Ops() {
		if !seen[op] {
			t.Errorf("no call reported %q (add a step for it)", op)
		}
	}
}
