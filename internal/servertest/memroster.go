package servertest

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// MemRoster is an in-memory storage.Roster for unit tests and benchmarks
// that need no database.
type MemRoster struct {
	mu    sync.Mutex
	users map[string]*memUser // "user@host" →
}

type memUser struct {
	ver    int
	items  map[string]storage.RosterItem
	sorted []string // keys of items in byte order; nil after a change
}

// NewMemRoster returns an empty roster store.
func NewMemRoster() *MemRoster { return &MemRoster{users: make(map[string]*memUser)} }

func (r *MemRoster) user(host, user string, create bool) *memUser {
	k := user + "@" + host
	u := r.users[k]
	if u == nil && create {
		u = &memUser{items: make(map[string]storage.RosterItem)}
		r.users[k] = u
	}
	return u
}

func cloneItem(it storage.RosterItem) storage.RosterItem {
	it.Groups = slices.Clone(it.Groups)
	it.InStanza = slices.Clone(it.InStanza)
	return it
}

// RosterItems implements storage.Roster.
func (r *MemRoster) RosterItems(_ context.Context, host, user string) ([]storage.RosterItem, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.user(host, user, false)
	if u == nil {
		return nil, "", nil
	}
	if u.sorted == nil {
		u.sorted = make([]string, 0, len(u.items))
		for k := range u.items {
			u.sorted = append(u.sorted, k)
		}
		slices.Sort(u.sorted)
	}
	out := make([]storage.RosterItem, 0, len(u.items))
	for _, k := range u.sorted {
		out = append(out, cloneItem(u.items[k]))
	}
	return out, strconv.Itoa(u.ver), nil
}

// RosterItem implements storage.Roster.
func (r *MemRoster) RosterItem(_ context.Context, host, user, contact string) (storage.RosterItem, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u := r.user(host, user, false); u != nil {
		if it, ok := u.items[contact]; ok {
			return cloneItem(it), nil
		}
	}
	return storage.RosterItem{}, storage.ErrNotFound
}

// SetRosterItem implements storage.Roster.
func (r *MemRoster) SetRosterItem(_ context.Context, host, user string, item storage.RosterItem) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.user(host, user, true)
	u.items[item.JID] = cloneItem(item)
	u.sorted = nil
	u.ver++
	return strconv.Itoa(u.ver), nil
}

// DeleteRosterItem implements storage.Roster.
func (r *MemRoster) DeleteRosterItem(_ context.Context, host, user, contact string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.user(host, user, false)
	if u == nil {
		return "", storage.ErrNotFound
	}
	if _, ok := u.items[contact]; !ok {
		return "", storage.ErrNotFound
	}
	delete(u.items, contact)
	u.sorted = nil
	u.ver++
	return strconv.Itoa(u.ver), nil
}

// RosterVersion implements storage.Roster.
func (r *MemRoster) RosterVersion(_ context.Context, host, user string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u := r.user(host, user, false); u != nil {
		return strconv.Itoa(u.ver), nil
	}
	return "", nil
}

var _ storage.Roster = (*MemRoster)(nil)

// MemStore is a storage.Store whose roster lives in memory (Roster); every
// other method panics. For unit tests and benchmarks of roster users.
type MemStore struct {
	storage.Store // nil: anything but the roster panics
	Roster        *MemRoster
}

// NewMemStore returns a MemStore with an empty roster.
func NewMemStore() *MemStore { return &MemStore{Roster: NewMemRoster()} }

// RosterItems implements storage.Roster.
func (s *MemStore) RosterItems(ctx context.Context, host, user string) ([]storage.RosterItem, string, error) {
	return s.Roster.RosterItems(ctx, host, user)
}

// RosterItem implements storage.Roster.
func (s *MemStore) RosterItem(ctx context.Context, host, user, contact string) (storage.RosterItem, error) {
	return s.Roster.RosterItem(ctx, host, user, contact)
}

// SetRosterItem implements storage.Roster.
func (s *MemStore) SetRosterItem(ctx context.Context, host, user string, item storage.RosterItem) (string, error) {
	return s.Roster.SetRosterItem(ctx, host, user, item)
}

// DeleteRosterItem implements storage.Roster.
func (s *MemStore) DeleteRosterItem(ctx context.Context, host, user, contact string) (string, error) {
	return s.Roster.DeleteRosterItem(ctx, host, user, contact)
}

// RosterVersion implements storage.Roster.
func (s *MemStore) RosterVersion(ctx context.Context, host, user string) (string, error) {
	return s.Roster.RosterVersion(ctx, host, user)
}
