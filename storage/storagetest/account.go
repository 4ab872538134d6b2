package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

func runAccount(t *testing.T, f Factory) {
	runEach(t, f, []namedTest{
		{"DeleteUserRemovesEverything", testDeleteUserRemovesAll},
		{"DeleteMissingUserKeepsData", testDeleteMissingUser},
		{"CanceledContext", testIMCanceledContext},
	})
	t.Run("RestartKeepsEverything", func(t *testing.T) {
		t.Parallel()
		testIMRestart(t, f)
	})
}

// privateNamespaces are the namespaces fill writes and userData reads.
var privateNamespaces = []string{"storage:bookmarks", "exodus:prefs"}

// userData is everything the IM stores hold for one user, as read back.
type userData struct {
	roster    []storage.RosterItem
	version   string
	offline   []storage.OfflineMessage // IDs included
	vcard     []byte                   // nil: none
	private   map[string][]byte        // namespace → data; absent: none
	blocked   []string
	lastAt    time.Time
	status    string
	seenSince bool // LastActivity found
}

// fill writes one of everything for user, varied by seed, and returns
// what reads back.
func fill(t *testing.T, s storage.Store, host, user string, seed int) userData {
	t.Helper()
	ctx := t.Context()
	for i := range 3 {
		mustSetItem(t, s, host, user, storage.RosterItem{
			JID: fmt.Sprintf("c%d-%d@x", seed, i), Name: "Contact " + strconv.Itoa(i), Subscription: storage.SubBoth,
			PendingIn: i == 1, InStanza: []byte("<presence type='subscribe'/>")[:i*10], Groups: []string{"G" + strconv.Itoa(seed), "Всё"},
		})
	}
	mustDeleteItem(t, s, host, user, fmt.Sprintf("c%d-0@x", seed)) // version 4, two items
	for i := range 2 {
		mustStore(t, s, host, user, msg(fmt.Sprintf("s%d@x", seed), i), 0)
	}
	if err := s.SetVCard(ctx, host, user, vcard(seed)); err != nil {
		t.Fatal(err)
	}
	for i, ns := range privateNamespaces {
		if err := s.SetPrivateXML(ctx, host, user, ns, vcard(seed*10+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Block(ctx, host, user, []string{fmt.Sprintf("spam%d@x", seed), "troll@x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLastActivity(ctx, host, user, time.Date(2026, 1, seed%28+1, 0, 0, 0, 0, time.UTC), "seed "+strconv.Itoa(seed)); err != nil {
		t.Fatal(err)
	}
	d := readUserData(t, s, host, user)
	if len(d.roster) != 2 || d.version != "4" || len(d.offline) != 2 || d.vcard == nil ||
		len(d.private) != len(privateNamespaces) || len(d.blocked) != 2 || !d.seenSince {
		t.Fatalf("fill(%s, %s) reads back %s", host, user, d)
	}
	return d
}

// readUserData reads everything stored for user.
func readUserData(t *testing.T, s storage.Store, host, user string) userData {
	t.Helper()
	ctx := t.Context()
	var (
		d   userData
		err error
	)
	if d.roster, d.version, err = s.RosterItems(ctx, host, user); err != nil {
		t.Fatalf("RosterItems: %v", err)
	}
	if d.offline, err = s.OfflineMessages(ctx, host, user); err != nil {
		t.Fatalf("OfflineMessages: %v", err)
	}
	if d.vcard, err = s.VCard(ctx, host, user); err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("VCard: %v", err)
	}
	d.private = map[string][]byte{}
	for _, ns := range privateNamespaces {
		b, err := s.PrivateXML(ctx, host, user, ns)
		switch {
		case err == nil:
			d.private[ns] = b
		case !errors.Is(err, storage.ErrNotFound):
			t.Fatalf("PrivateXML: %v", err)
		}
	}
	if d.blocked, err = s.Blocklist(ctx, host, user); err != nil {
		t.Fatalf("Blocklist: %v", err)
	}
	d.lastAt, d.status, err = s.LastActivity(ctx, host, user)
	switch {
	case err == nil:
		d.seenSince = true
	case !errors.Is(err, storage.ErrNotFound):
		t.Fatalf("LastActivity: %v", err)
	}
	if n, err := s.CountOffline(ctx, host, user); err != nil || n != len(d.offline) {
		t.Fatalf("CountOffline = %d, %v; OfflineMessages has %d", n, err, len(d.offline))
	}
	if v, err := s.RosterVersion(ctx, host, user); err != nil || v != d.version {
		t.Fatalf("RosterVersion = %q, %v; RosterItems says %q", v, err, d.version)
	}
	return d
}

func (d userData) equal(o userData) bool {
	return slices.EqualFunc(d.roster, o.roster, equalItems) && d.version == o.version &&
		slices.EqualFunc(d.offline, o.offline, func(a, b storage.OfflineMessage) bool {
			return a.ID == b.ID && a.Stamp.Equal(b.Stamp) && a.From == b.From && bytes.Equal(a.Stanza, b.Stanza)
		}) &&
		bytes.Equal(d.vcard, o.vcard) && (d.vcard == nil) == (o.vcard == nil) &&
		maps.EqualFunc(d.private, o.private, bytes.Equal) && slices.Equal(d.blocked, o.blocked) &&
		d.seenSince == o.seenSince && d.lastAt.Equal(o.lastAt) && d.status == o.status
}

func (d userData) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{roster v%q", d.version)
	for _, it := range d.roster {
		b.WriteString(" " + fmtItem(it))
	}
	fmt.Fprintf(&b, "; offline")
	for _, m := range d.offline {
		fmt.Fprintf(&b, " #%d %v %s %q", m.ID, m.Stamp, m.From, m.Stanza)
	}
	fmt.Fprintf(&b, "; vcard %q; private %q; blocked %q; last %v %v %q}", d.vcard, d.private, d.blocked, d.seenSince, d.lastAt, d.status)
	return b.String()
}

func mustUserData(t *testing.T, s storage.Store, host, user string, want userData) {
	t.Helper()
	if got := readUserData(t, s, host, user); !got.equal(want) {
		t.Fatalf("data of %s@%s:\n got %s\nwant %s", user, host, got, want)
	}
}

// emptyData is what a user with nothing stored reads back.
var emptyData = userData{private: map[string][]byte{}}

// testDeleteUserRemovesAll is the issue "A removed account loses
// everything stored for it": after DeleteUser, and after the account is
// created again, every store is empty for it and untouched for others.
func testDeleteUserRemovesAll(t *testing.T, s storage.Store) {
	ctx := t.Context()
	accounts := []struct{ host, user string }{{hostA, "alice"}, {hostA, "bob"}, {hostB, "alice"}, {hostA, "alice2"}}
	saved := map[string]userData{}
	for i, a := range accounts {
		if err := s.CreateUser(ctx, a.host, a.user, creds(i)); err != nil {
			t.Fatal(err)
		}
		saved[a.user+"@"+a.host] = fill(t, s, a.host, a.user, i+1)
	}
	if err := s.DeleteUser(ctx, hostA, "alice"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	mustExist(t, s, hostA, "alice", false)
	mustUserData(t, s, hostA, "alice", emptyData)
	for _, a := range accounts[1:] {
		mustUserData(t, s, a.host, a.user, saved[a.user+"@"+a.host])
	}

	// The same name again starts from nothing: no roster version a client
	// might hold, no messages for the previous owner.
	if err := s.CreateUser(ctx, hostA, "alice", creds(9)); err != nil {
		t.Fatal(err)
	}
	mustUserData(t, s, hostA, "alice", emptyData)
	if v := mustSetItem(t, s, hostA, "alice", item("new@x")); v != "1" {
		t.Fatalf("first roster change of the new account: version %q, want 1", v)
	}
	mustStore(t, s, hostA, "alice", msg("new@x", 1), 0)
	mustOffline(t, s, hostA, "alice", msg("new@x", 1))
}

// testDeleteMissingUser: a DeleteUser that finds no account changes
// nothing, not even data stored under that name (the account may live in
// an external credential backend).
func testDeleteMissingUser(t *testing.T, s storage.Store) {
	saved := fill(t, s, hostA, "external", 3)
	if err := s.DeleteUser(t.Context(), hostA, "external"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteUser of an account not in Users: err = %v, want ErrNotFound", err)
	}
	mustUserData(t, s, hostA, "external", saved)
}

// testIMRestart closes a store and opens its data again: everything is
// still there, and counters carry on rather than start over.
func testIMRestart(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	if err := s.CreateUser(ctx, hostA, "alice", creds(1)); err != nil {
		t.Fatal(err)
	}
	alice := fill(t, s, hostA, "alice", 1)
	bob := fill(t, s, hostB, "bob", 2)
	// Delete the newest message, so that a store reusing IDs would hand
	// its ID out again.
	last := alice.offline[len(alice.offline)-1]
	if err := s.DeleteOffline(ctx, hostA, "alice", last.ID); err != nil {
		t.Fatal(err)
	}
	alice.offline = nil
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = f.Reopen(t, s)
	mustUserData(t, s, hostA, "alice", alice)
	mustUserData(t, s, hostB, "bob", bob)
	mustCreds(t, s, hostA, "alice", creds(1))

	if v := mustSetItem(t, s, hostA, "alice", item("after@x")); v != "5" {
		t.Fatalf("roster change after restart: version %q, want 5", v)
	}
	mustStore(t, s, hostA, "alice", msg("after@x", 1), 0)
	ids := mustOffline(t, s, hostA, "alice", msg("after@x", 1))
	if ids[0] <= last.ID {
		t.Fatalf("message after restart got ID %d, not above %d", ids[0], last.ID)
	}
}

// testIMCanceledContext wants every IM method to give up on a canceled
// context, say so through the error, and change nothing.
func testIMCanceledContext(t *testing.T, s storage.Store) {
	saved := fill(t, s, hostA, "alice", 1)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	const h, u = hostA, "alice"
	ops := map[string]func() error{
		"RosterItems":      func() error { _, _, err := s.RosterItems(ctx, h, u); return err },
		"RosterItem":       func() error { _, err := s.RosterItem(ctx, h, u, "c1-1@x"); return err },
		"SetRosterItem":    func() error { _, err := s.SetRosterItem(ctx, h, u, item("new@x")); return err },
		"DeleteRosterItem": func() error { _, err := s.DeleteRosterItem(ctx, h, u, "c1-1@x"); return err },
		"RosterVersion":    func() error { _, err := s.RosterVersion(ctx, h, u); return err },
		"StoreOffline":     func() error { return s.StoreOffline(ctx, h, u, msg("x@y", 1), 0) },
		"OfflineMessages":  func() error { _, err := s.OfflineMessages(ctx, h, u); return err },
		"DeleteOffline":    func() error { return s.DeleteOffline(ctx, h, u, 1<<62) },
		"CountOffline":     func() error { _, err := s.CountOffline(ctx, h, u); return err },
		"VCard":            func() error { _, err := s.VCard(ctx, h, u); return err },
		"SetVCard":         func() error { return s.SetVCard(ctx, h, u, vcard(5)) },
		"PrivateXML":       func() error { _, err := s.PrivateXML(ctx, h, u, privateNamespaces[0]); return err },
		"SetPrivateXML":    func() error { return s.SetPrivateXML(ctx, h, u, privateNamespaces[0], vcard(5)) },
		"Blocklist":        func() error { _, err := s.Blocklist(ctx, h, u); return err },
		"Block":            func() error { return s.Block(ctx, h, u, []string{"new@x"}) },
		"Unblock":          func() error { return s.Unblock(ctx, h, u, nil) },
		"LastActivity":     func() error { _, _, err := s.LastActivity(ctx, h, u); return err },
		"SetLastActivity":  func() error { return s.SetLastActivity(ctx, h, u, time.Now(), "x") },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
	}
	mustUserData(t, s, hostA, "alice", saved)
}
