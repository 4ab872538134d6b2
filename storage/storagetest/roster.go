package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

func runRoster(t *testing.T, f Factory) {
	runEach(t, f, []namedTest{
		{"Empty", testRosterEmpty},
		{"Lifecycle", testRosterLifecycle},
		{"Versions", testRosterVersions},
		{"RoundTrip", testRosterRoundTrip},
		{"Invalid", testRosterInvalid},
		{"Order", testRosterOrder},
		{"Isolation", testRosterIsolation},
		{"Copies", testRosterCopies},
		{"ConcurrentSet", testRosterConcurrentSet},
		{"VersionMatchesItems", testRosterSnapshot},
	})
}

// item returns a plain item for contact.
func item(contact string) storage.RosterItem {
	return storage.RosterItem{JID: contact, Subscription: storage.SubBoth, Groups: []string{"Friends"}}
}

func equalItems(a, b storage.RosterItem) bool {
	return a.JID == b.JID && a.Name == b.Name && a.Subscription == b.Subscription &&
		a.Ask == b.Ask && a.PendingIn == b.PendingIn && a.PreApproved == b.PreApproved &&
		slices.Equal(a.Groups, b.Groups) && (a.Groups == nil) == (b.Groups == nil) &&
		bytes.Equal(a.InStanza, b.InStanza) && (a.InStanza == nil) == (b.InStanza == nil)
}

func fmtItem(it storage.RosterItem) string {
	return fmt.Sprintf("{JID %q Name %q Sub %q Ask %v PendingIn %v PreApproved %v Groups %#v InStanza %q}",
		it.JID, it.Name, it.Subscription, it.Ask, it.PendingIn, it.PreApproved, it.Groups, it.InStanza)
}

func mustSetItem(t *testing.T, s storage.Roster, host, user string, it storage.RosterItem) string {
	t.Helper()
	v, err := s.SetRosterItem(t.Context(), host, user, it)
	if err != nil {
		t.Fatalf("SetRosterItem(%s, %s, %s): %v", host, user, it.JID, err)
	}
	return v
}

func mustDeleteItem(t *testing.T, s storage.Roster, host, user, contact string) string {
	t.Helper()
	v, err := s.DeleteRosterItem(t.Context(), host, user, contact)
	if err != nil {
		t.Fatalf("DeleteRosterItem(%s, %s, %s): %v", host, user, contact, err)
	}
	return v
}

// mustRoster checks RosterItems, RosterVersion and RosterItem of every
// item against want and wantVer.
func mustRoster(t *testing.T, s storage.Roster, host, user, wantVer string, want ...storage.RosterItem) {
	t.Helper()
	ctx := t.Context()
	got, ver, err := s.RosterItems(ctx, host, user)
	if err != nil {
		t.Fatalf("RosterItems(%s, %s): %v", host, user, err)
	}
	if got == nil {
		t.Fatalf("RosterItems(%s, %s) = nil, want a non-nil slice", host, user)
	}
	if ver != wantVer {
		t.Fatalf("RosterItems(%s, %s) version = %q, want %q", host, user, ver, wantVer)
	}
	if !slices.EqualFunc(got, want, equalItems) {
		var g, w []string
		for _, it := range got {
			g = append(g, fmtItem(it))
		}
		for _, it := range want {
			w = append(w, fmtItem(it))
		}
		t.Fatalf("RosterItems(%s, %s):\n got %s\nwant %s", host, user, strings.Join(g, "\n     "), strings.Join(w, "\n     "))
	}
	if v, err := s.RosterVersion(ctx, host, user); err != nil || v != wantVer {
		t.Fatalf("RosterVersion(%s, %s) = %q, %v; want %q", host, user, v, err, wantVer)
	}
	for _, w := range want {
		it, err := s.RosterItem(ctx, host, user, w.JID)
		if err != nil {
			t.Fatalf("RosterItem(%s, %s, %s): %v", host, user, w.JID, err)
		}
		if !equalItems(it, w) {
			t.Fatalf("RosterItem(%s, %s, %s):\n got %s\nwant %s", host, user, w.JID, fmtItem(it), fmtItem(w))
		}
	}
}

// testRosterEmpty reads a roster nobody wrote.
func testRosterEmpty(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustRoster(t, s, hostA, "alice", "")
	if _, err := s.RosterItem(ctx, hostA, "alice", "bob@example.org"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RosterItem: err = %v, want ErrNotFound", err)
	}
	if v, err := s.DeleteRosterItem(ctx, hostA, "alice", "bob@example.org"); !errors.Is(err, storage.ErrNotFound) || v != "" {
		t.Fatalf("DeleteRosterItem = %q, %v; want \"\", ErrNotFound", v, err)
	}
	mustRoster(t, s, hostA, "alice", "")
}

// testRosterLifecycle walks one roster through every method.
func testRosterLifecycle(t *testing.T, s storage.Store) {
	ctx := t.Context()
	bob, carol := item("bob@example.org"), item("carol@example.org")
	if v := mustSetItem(t, s, hostA, "alice", bob); v != "1" {
		t.Fatalf("first SetRosterItem version = %q, want 1", v)
	}
	mustRoster(t, s, hostA, "alice", "1", bob)
	mustSetItem(t, s, hostA, "alice", carol)
	mustRoster(t, s, hostA, "alice", "2", bob, carol)

	bob.Name, bob.Subscription, bob.Groups = "Bob", storage.SubTo, []string{"Work"}
	mustSetItem(t, s, hostA, "alice", bob)
	mustRoster(t, s, hostA, "alice", "3", bob, carol)

	if v := mustDeleteItem(t, s, hostA, "alice", bob.JID); v != "4" {
		t.Fatalf("DeleteRosterItem version = %q, want 4", v)
	}
	if _, err := s.RosterItem(ctx, hostA, "alice", bob.JID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RosterItem after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.DeleteRosterItem(ctx, hostA, "alice", bob.JID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second DeleteRosterItem: err = %v, want ErrNotFound", err)
	}
	mustRoster(t, s, hostA, "alice", "4", carol)

	// An emptied roster keeps its version: "" would tell a client holding
	// "4" that it has never seen this roster, and "4" is what it saw.
	mustDeleteItem(t, s, hostA, "alice", carol.JID)
	mustRoster(t, s, hostA, "alice", "5")
	mustSetItem(t, s, hostA, "alice", carol)
	mustRoster(t, s, hostA, "alice", "6", carol)
}

// testRosterVersions runs a script of changes; after each, the version
// must be the one given, and every returned version must be a decimal
// counter that only grows.
func testRosterVersions(t *testing.T, s storage.Store) {
	ctx := t.Context()
	steps := []struct {
		name string
		op   func() (string, error)
		want string // the version after the step
		err  error  // nil: must succeed; errAny: any error
	}{
		{"set bob", func() (string, error) { return s.SetRosterItem(ctx, hostA, "alice", item("bob@x")) }, "1", nil},
		{"set bob again, unchanged", func() (string, error) { return s.SetRosterItem(ctx, hostA, "alice", item("bob@x")) }, "2", nil},
		{"set carol", func() (string, error) { return s.SetRosterItem(ctx, hostA, "alice", item("carol@x")) }, "3", nil},
		{"delete missing", func() (string, error) { return s.DeleteRosterItem(ctx, hostA, "alice", "dave@x") }, "3", storage.ErrNotFound},
		{"set invalid", func() (string, error) {
			return s.SetRosterItem(ctx, hostA, "alice", storage.RosterItem{JID: "eve@x", Subscription: "pending"})
		}, "3", errAny},
		{"other user's change", func() (string, error) { return s.SetRosterItem(ctx, hostA, "bob", item("alice@x")) }, "3", nil},
		{"other host's change", func() (string, error) { return s.SetRosterItem(ctx, hostB, "alice", item("bob@x")) }, "3", nil},
		{"delete bob", func() (string, error) { return s.DeleteRosterItem(ctx, hostA, "alice", "bob@x") }, "4", nil},
		{"delete carol", func() (string, error) { return s.DeleteRosterItem(ctx, hostA, "alice", "carol@x") }, "5", nil},
		{"delete carol again", func() (string, error) { return s.DeleteRosterItem(ctx, hostA, "alice", "carol@x") }, "5", storage.ErrNotFound},
		{"set bob back", func() (string, error) { return s.SetRosterItem(ctx, hostA, "alice", item("bob@x")) }, "6", nil},
	}
	last := int64(0)
	for _, st := range steps {
		got, err := st.op()
		switch {
		case st.err == nil && err != nil:
			t.Fatalf("%s: err = %v", st.name, err)
		case st.err == errAny && err == nil:
			t.Fatalf("%s: succeeded, want an error", st.name)
		case st.err != nil && st.err != errAny && !errors.Is(err, st.err):
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.err)
		}
		if err == nil && !strings.HasPrefix(st.name, "other") {
			n, perr := strconv.ParseInt(got, 10, 64)
			if perr != nil || strconv.FormatInt(n, 10) != got {
				t.Fatalf("%s: version %q is not a decimal counter", st.name, got)
			}
			if n <= last {
				t.Fatalf("%s: version %d after %d, want it to grow", st.name, n, last)
			}
			last = n
			if got != st.want {
				t.Fatalf("%s: returned version %q, want %q", st.name, got, st.want)
			}
		}
		if v, err := s.RosterVersion(ctx, hostA, "alice"); err != nil || v != st.want {
			t.Fatalf("%s: RosterVersion = %q, %v; want %q", st.name, v, err, st.want)
		}
	}
	for _, u := range []struct{ host, user, want string }{{hostA, "bob", "1"}, {hostB, "alice", "1"}, {hostB, "bob", ""}} {
		if v, err := s.RosterVersion(ctx, u.host, u.user); err != nil || v != u.want {
			t.Fatalf("RosterVersion(%s, %s) = %q, %v; want %q", u.host, u.user, v, err, u.want)
		}
	}
}

// errAny in a table means "some error, whichever".
var errAny = errors.New("any error")

// testRosterRoundTrip stores items with every field set in awkward ways
// and wants each back exactly, groups sorted and deduplicated.
func testRosterRoundTrip(t *testing.T, s storage.Store) {
	awkward := []byte("<presence from='x@y' type='subscribe'>\x00\xff\xfe'\"\\</presence>")
	big := bytes.Repeat([]byte("<x>ü</x>"), 8192) // 72 KiB
	tests := []struct {
		name   string
		in     storage.RosterItem
		groups []string // the groups to read back; nil: in.Groups sorted and deduplicated
		none   bool     // read back nil groups
	}{
		{"minimal", storage.RosterItem{JID: "a@x", Subscription: storage.SubNone}, nil, true},
		{"subscription to", storage.RosterItem{JID: "a@x", Subscription: storage.SubTo}, nil, true},
		{"subscription from", storage.RosterItem{JID: "a@x", Subscription: storage.SubFrom}, nil, true},
		{"subscription both", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth}, nil, true},
		{"ask only", storage.RosterItem{JID: "a@x", Subscription: storage.SubNone, Ask: true}, nil, true},
		{"pending in with stanza", storage.RosterItem{JID: "a@x", Subscription: storage.SubTo, PendingIn: true, InStanza: awkward}, nil, true},
		{"pre-approved only", storage.RosterItem{JID: "a@x", Subscription: storage.SubNone, PreApproved: true}, nil, true},
		{"every flag", storage.RosterItem{JID: "a@x", Name: "A", Subscription: storage.SubFrom,
			Ask: true, PendingIn: true, PreApproved: true, Groups: []string{"G"}, InStanza: []byte("<presence/>")}, nil, false},
		{"big stanza", storage.RosterItem{JID: "a@x", Subscription: storage.SubNone, PendingIn: true, InStanza: big}, nil, true},
		{"empty stanza reads as nil", storage.RosterItem{JID: "a@x", Subscription: storage.SubNone, InStanza: []byte{}}, nil, true},
		{"unicode JID and name", storage.RosterItem{JID: "ñandú@例え.テスト", Name: "Ñandú 🐦 \"the bird\" <&>", Subscription: storage.SubBoth}, nil, true},
		{"long name", storage.RosterItem{JID: "a@x", Name: strings.Repeat("é", 2000), Subscription: storage.SubBoth}, nil, true},
		{"unicode groups", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth,
			Groups: []string{"Друзья", "家族", "😀 emoji", "Ärger"}}, []string{"Ärger", "Друзья", "家族", "😀 emoji"}, false},
		{"nil groups", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth, Groups: nil}, nil, true},
		{"empty groups", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth, Groups: []string{}}, nil, true},
		{"empty group name", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth, Groups: []string{""}}, []string{""}, false},
		{"unsorted with duplicates", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth,
			Groups: []string{"b", "a", "B", "b", "", "a", "é", "e"}}, []string{"", "B", "a", "b", "e", "é"}, false},
		{"groups with markup and escapes", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth,
			Groups: []string{`"quoted"`, `back\slash`, "</group>", "tab\tnew\nline", "\u2028", "{}[],:", "NULL", "'"}},
			nil, false},
		{"many groups", storage.RosterItem{JID: "a@x", Subscription: storage.SubBoth, Groups: manyGroups(300)}, nil, false},
	}
	ctx := t.Context()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("rt%02d", i)
			want := tc.in
			switch {
			case tc.none:
				want.Groups = nil
			case len(tc.groups) > 0:
				want.Groups = tc.groups
			default:
				want.Groups = sortedUnique(tc.in.Groups)
			}
			if len(want.InStanza) == 0 {
				want.InStanza = nil
			}
			if v := mustSetItem(t, s, hostA, user, tc.in); v != "1" {
				t.Fatalf("version = %q, want 1", v)
			}
			mustRoster(t, s, hostA, user, "1", want)

			// Replacing with a bare item clears every field.
			bare := storage.RosterItem{JID: tc.in.JID, Subscription: storage.SubNone}
			mustSetItem(t, s, hostA, user, bare)
			mustRoster(t, s, hostA, user, "2", bare)
			mustSetItem(t, s, hostA, user, tc.in)
			mustRoster(t, s, hostA, user, "3", want)

			// Other items of the roster stay as they are.
			other := storage.RosterItem{JID: "zz@x", Subscription: storage.SubTo, Groups: []string{"z"}}
			mustSetItem(t, s, hostA, user, other)
			if _, err := s.SetRosterItem(ctx, hostA, user, tc.in); err != nil {
				t.Fatal(err)
			}
			both := []storage.RosterItem{want, other}
			slices.SortFunc(both, func(a, b storage.RosterItem) int { return strings.Compare(a.JID, b.JID) })
			mustRoster(t, s, hostA, user, "5", both...)
		})
	}
}

func manyGroups(n int) []string {
	gs := make([]string, n)
	for i := range gs {
		gs[i] = fmt.Sprintf("group %03d", n-i)
	}
	return gs
}

func sortedUnique(gs []string) []string {
	if len(gs) == 0 {
		return nil
	}
	out := slices.Clone(gs)
	slices.Sort(out)
	return slices.Compact(out)
}

// testRosterInvalid wants bad items refused without a trace.
func testRosterInvalid(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustSetItem(t, s, hostA, "alice", item("bob@x"))
	tests := []struct {
		name string
		it   storage.RosterItem
	}{
		{"empty subscription", storage.RosterItem{JID: "c@x"}},
		{"unknown subscription", storage.RosterItem{JID: "c@x", Subscription: "pending"}},
		{"capitalized subscription", storage.RosterItem{JID: "c@x", Subscription: "Both"}},
		{"empty JID", storage.RosterItem{Subscription: storage.SubBoth}},
		{"group not UTF-8", storage.RosterItem{JID: "c@x", Subscription: storage.SubBoth, Groups: []string{"ok", "bad \xff"}}},
		{"replacing with a bad subscription", storage.RosterItem{JID: "bob@x", Subscription: "sideways"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := s.SetRosterItem(ctx, hostA, "alice", tc.it)
			if err == nil {
				t.Fatalf("SetRosterItem(%s) = %q, want an error", fmtItem(tc.it), v)
			}
			if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrExists) {
				t.Fatalf("SetRosterItem: err = %v, want a plain error", err)
			}
			mustRoster(t, s, hostA, "alice", "1", item("bob@x"))
		})
	}
}

// testRosterOrder wants items sorted by JID in byte order, not by a
// collation.
func testRosterOrder(t *testing.T, s storage.Store) {
	jids := []string{"zed@x", "alice@x", "Bob@x", "bob@x", "b@x", "a-b@x", "a_b@x", "a.b@x",
		"é@x", "e@x", "ä@x", "0@x", "10@x", "9@x", "日本@x", "Ω@x", "ω@x", "x", "a@b", "a@b/r"}
	shuffled := slices.Clone(jids)
	rand.New(rand.NewPCG(11, 11)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, j := range shuffled {
		mustSetItem(t, s, hostA, "alice", storage.RosterItem{JID: j, Subscription: storage.SubNone})
	}
	slices.Sort(jids)
	var want []storage.RosterItem
	for _, j := range jids {
		want = append(want, storage.RosterItem{JID: j, Subscription: storage.SubNone})
	}
	mustRoster(t, s, hostA, "alice", strconv.Itoa(len(jids)), want...)
}

// testRosterIsolation checks that host and user are both part of the key.
func testRosterIsolation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a, b, c := item("a@x"), item("b@x"), item("c@x")
	mustSetItem(t, s, hostA, "alice", a)
	mustSetItem(t, s, hostA, "alice", b)
	mustSetItem(t, s, hostA, "bob", c)
	mustSetItem(t, s, hostB, "alice", c)
	mustRoster(t, s, hostA, "alice", "2", a, b)
	mustRoster(t, s, hostA, "bob", "1", c)
	mustRoster(t, s, hostB, "alice", "1", c)
	mustRoster(t, s, hostB, "bob", "")

	if _, err := s.RosterItem(ctx, hostA, "alice", c.JID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RosterItem of another user's contact: err = %v, want ErrNotFound", err)
	}
	if _, err := s.DeleteRosterItem(ctx, hostB, "alice", a.JID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteRosterItem on the wrong host: err = %v, want ErrNotFound", err)
	}
	mustDeleteItem(t, s, hostB, "alice", c.JID)
	mustRoster(t, s, hostA, "bob", "1", c)
	mustRoster(t, s, hostA, "alice", "2", a, b)
	mustRoster(t, s, hostB, "alice", "2")
}

// testRosterCopies checks that the store neither keeps nor hands out
// aliases, and leaves the caller's Groups in the caller's order.
func testRosterCopies(t *testing.T, s storage.Store) {
	ctx := t.Context()
	in := storage.RosterItem{JID: "bob@x", Subscription: storage.SubBoth,
		Groups: []string{"z", "a", "z"}, InStanza: []byte("<presence/>")}
	mustSetItem(t, s, hostA, "alice", in)
	if !slices.Equal(in.Groups, []string{"z", "a", "z"}) {
		t.Fatalf("SetRosterItem changed the caller's groups to %q", in.Groups)
	}
	want := storage.RosterItem{JID: "bob@x", Subscription: storage.SubBoth,
		Groups: []string{"a", "z"}, InStanza: []byte("<presence/>")}
	in.InStanza[1] = 'X'
	in.Groups[0] = "changed"
	mustRoster(t, s, hostA, "alice", "1", want)

	got, err := s.RosterItem(ctx, hostA, "alice", "bob@x")
	if err != nil {
		t.Fatal(err)
	}
	got.InStanza[1] = 'Y'
	got.Groups[0] = "changed"
	items, _, err := s.RosterItems(ctx, hostA, "alice")
	if err != nil {
		t.Fatal(err)
	}
	items[0].InStanza[1] = 'Z'
	items[0].Groups[1] = "changed"
	mustRoster(t, s, hostA, "alice", "1", want)
}

// testRosterConcurrentSet changes one roster from many goroutines: every
// change gets its own version and none is lost.
func testRosterConcurrentSet(t *testing.T, s storage.Store) {
	const workers, each = 16, 8
	ctx := t.Context()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		versions = map[string]bool{}
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				v, err := s.SetRosterItem(ctx, hostA, "alice", item(fmt.Sprintf("c%02d-%d@x", w, i)))
				if err != nil {
					t.Errorf("SetRosterItem: %v", err)
					return
				}
				mu.Lock()
				if versions[v] {
					t.Errorf("version %q returned twice", v)
				}
				versions[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for n := 1; n <= workers*each; n++ {
		if !versions[strconv.Itoa(n)] {
			t.Fatalf("no change got version %d; got %d versions", n, len(versions))
		}
	}
	items, ver, err := s.RosterItems(ctx, hostA, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != workers*each || ver != strconv.Itoa(workers*each) {
		t.Fatalf("RosterItems: %d items, version %q; want %d and %q", len(items), ver, workers*each, strconv.Itoa(workers*each))
	}
}

// testRosterSnapshot reads while items are added: each read must return
// the items and the version of one moment. Each change adds one item, so
// version n comes with exactly n items.
func testRosterSnapshot(t *testing.T, s storage.Store) {
	const items = 60
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cancel()
		for i := range items {
			if _, err := s.SetRosterItem(ctx, hostA, "alice", item(fmt.Sprintf("c%03d@x", i))); err != nil {
				t.Errorf("SetRosterItem: %v", err)
				return
			}
		}
	})
	for range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				got, ver, err := s.RosterItems(ctx, hostA, "alice")
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("RosterItems: %v", err)
					}
					return
				}
				want := ""
				if len(got) > 0 {
					want = strconv.Itoa(len(got))
				}
				if ver != want {
					t.Errorf("RosterItems returned %d items with version %q", len(got), ver)
					return
				}
			}
		})
	}
	wg.Wait()
	mustRoster(t, s, hostA, "alice", strconv.Itoa(items), rosterOf(items)...)
}

func rosterOf(n int) []storage.RosterItem {
	out := make([]storage.RosterItem, n)
	for i := range out {
		out[i] = item(fmt.Sprintf("c%03d@x", i))
	}
	return out
}
