package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

var vcardTests = []namedTest{
	{"Lifecycle", testVCard},
	{"RoundTrip", testVCardRoundTrip},
	{"Isolation", testVCardIsolation},
}

var privateTests = []namedTest{
	{"PerNamespace", testPrivateXML},
	{"Isolation", testPrivateIsolation},
}

var blocklistTests = []namedTest{
	{"Lifecycle", testBlocklist},
	{"Order", testBlocklistOrder},
	{"Isolation", testBlocklistIsolation},
}

var lastActivityTests = []namedTest{
	{"Lifecycle", testLastActivity},
	{"Isolation", testLastActivityIsolation},
}

func vcard(n int) []byte {
	return fmt.Appendf(nil, "<vCard xmlns='vcard-temp'><FN>User %d</FN><PHOTO><BINVAL>%x</BINVAL></PHOTO></vCard>", n, n*7919)
}

// mustBytes checks a []byte getter: want nil means ErrNotFound.
func mustBytes(t *testing.T, what string, get func() ([]byte, error), want []byte) {
	t.Helper()
	got, err := get()
	switch {
	case want == nil && !errors.Is(err, storage.ErrNotFound):
		t.Fatalf("%s: %q, err = %v; want ErrNotFound", what, got, err)
	case want != nil && err != nil:
		t.Fatalf("%s: %v", what, err)
	case want != nil && !bytes.Equal(got, want):
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func mustVCard(t *testing.T, s storage.VCards, host, user string, want []byte) {
	t.Helper()
	mustBytes(t, "VCard("+host+", "+user+")", func() ([]byte, error) { return s.VCard(t.Context(), host, user) }, want)
}

func testVCard(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustVCard(t, s, hostA, "alice", nil)
	if err := s.SetVCard(ctx, hostA, "alice", vcard(1)); err != nil {
		t.Fatalf("SetVCard: %v", err)
	}
	mustVCard(t, s, hostA, "alice", vcard(1))
	if err := s.SetVCard(ctx, hostA, "alice", vcard(2)); err != nil {
		t.Fatalf("SetVCard replace: %v", err)
	}
	mustVCard(t, s, hostA, "alice", vcard(2))
	// XEP-0054 clients clear a vCard by publishing an empty one; that is a
	// stored vCard, not a missing one.
	empty := []byte("<vCard xmlns='vcard-temp'/>")
	if err := s.SetVCard(ctx, hostA, "alice", empty); err != nil {
		t.Fatalf("SetVCard empty element: %v", err)
	}
	mustVCard(t, s, hostA, "alice", empty)
}

func testVCardRoundTrip(t *testing.T, s storage.Store) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"plain", vcard(3)},
		{"odd bytes", []byte("<vCard>\x00\xff\xfe'\"\\ü</vCard>")},
		{"large photo", append(append([]byte("<vCard><PHOTO><BINVAL>"), bytes.Repeat([]byte("QUJD"), 64<<10)...), "</BINVAL></PHOTO></vCard>"...)},
		{"zero length", []byte{}},
	}
	ctx := t.Context()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("v%d", i)
			in := slices.Clone(tc.in)
			if err := s.SetVCard(ctx, hostA, user, in); err != nil {
				t.Fatalf("SetVCard: %v", err)
			}
			if len(in) > 0 {
				in[0] ^= 0xff // the store must have copied it
			}
			mustVCard(t, s, hostA, user, tc.in)
			got, _ := s.VCard(ctx, hostA, user)
			if len(got) > 0 {
				got[0] ^= 0xff // and must hand out a copy
			}
			mustVCard(t, s, hostA, user, tc.in)
		})
	}
}

func testVCardIsolation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, u := range []struct{ host, user string }{{hostA, "alice"}, {hostA, "bob"}, {hostB, "alice"}} {
		if err := s.SetVCard(ctx, u.host, u.user, vcard(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetVCard(ctx, hostA, "alice", vcard(9)); err != nil {
		t.Fatal(err)
	}
	mustVCard(t, s, hostA, "alice", vcard(9))
	mustVCard(t, s, hostA, "bob", vcard(1))
	mustVCard(t, s, hostB, "alice", vcard(2))
	mustVCard(t, s, hostB, "bob", nil)
}

func mustPrivate(t *testing.T, s storage.PrivateXML, host, user, ns string, want []byte) {
	t.Helper()
	mustBytes(t, "PrivateXML("+host+", "+user+", "+ns+")",
		func() ([]byte, error) { return s.PrivateXML(t.Context(), host, user, ns) }, want)
}

func testPrivateXML(t *testing.T, s storage.Store) {
	const (
		bookmarks = "storage:bookmarks"
		roster    = "roster:delimiter"
	)
	bm1 := []byte("<storage xmlns='storage:bookmarks'><conference jid='room@muc.x' autojoin='true'/></storage>")
	bm2 := []byte("<storage xmlns='storage:bookmarks'/>")
	delim := []byte("<roster xmlns='roster:delimiter'>::</roster>")
	steps := []struct {
		name string
		ns   string
		set  []byte
		want map[string][]byte // nil value: ErrNotFound
	}{
		{"nothing yet", "", nil, map[string][]byte{bookmarks: nil, roster: nil}},
		{"bookmarks", bookmarks, bm1, map[string][]byte{bookmarks: bm1, roster: nil}},
		{"delimiter", roster, delim, map[string][]byte{bookmarks: bm1, roster: delim}},
		{"replace bookmarks", bookmarks, bm2, map[string][]byte{bookmarks: bm2, roster: delim}},
		{"namespaces compare exactly", "STORAGE:bookmarks", bm1, map[string][]byte{bookmarks: bm2, "STORAGE:bookmarks": bm1, "storage:bookmarks ": nil}},
		{"odd bytes", "urn:x:odd", []byte("\x00\xff"), map[string][]byte{"urn:x:odd": []byte("\x00\xff"), bookmarks: bm2}},
	}
	for _, st := range steps {
		if st.set != nil {
			if err := s.SetPrivateXML(t.Context(), hostA, "alice", st.ns, st.set); err != nil {
				t.Fatalf("%s: SetPrivateXML: %v", st.name, err)
			}
		}
		for ns, want := range st.want {
			mustPrivate(t, s, hostA, "alice", ns, want)
		}
	}
}

func testPrivateIsolation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	const ns = "storage:bookmarks"
	for i, u := range []struct{ host, user string }{{hostA, "alice"}, {hostA, "bob"}, {hostB, "alice"}} {
		if err := s.SetPrivateXML(ctx, u.host, u.user, ns, vcard(i)); err != nil {
			t.Fatal(err)
		}
	}
	mustPrivate(t, s, hostA, "alice", ns, vcard(0))
	mustPrivate(t, s, hostA, "bob", ns, vcard(1))
	mustPrivate(t, s, hostB, "alice", ns, vcard(2))
	mustPrivate(t, s, hostB, "bob", ns, nil)
}

func mustBlocked(t *testing.T, s storage.Blocklists, host, user string, want ...string) {
	t.Helper()
	got, err := s.Blocklist(t.Context(), host, user)
	if err != nil {
		t.Fatalf("Blocklist(%s, %s): %v", host, user, err)
	}
	if got == nil {
		t.Fatalf("Blocklist(%s, %s) = nil, want a non-nil slice", host, user)
	}
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("Blocklist(%s, %s):\n got %q\nwant %q", host, user, got, want)
	}
}

// testBlocklist runs a script of blocks and unblocks.
func testBlocklist(t *testing.T, s storage.Store) {
	ctx := t.Context()
	block := func(jids ...string) func() error {
		return func() error { return s.Block(ctx, hostA, "alice", jids) }
	}
	unblock := func(jids ...string) func() error {
		return func() error { return s.Unblock(ctx, hostA, "alice", jids) }
	}
	steps := []struct {
		name string
		op   func() error
		want []string
	}{
		{"nothing yet", func() error { return nil }, nil},
		{"unblock all of nothing", unblock(), nil},
		{"block none", block(), nil},
		{"block some", block("c@x", "a@x", "b@x"), []string{"a@x", "b@x", "c@x"}},
		{"block again with duplicates", block("b@x", "d@x", "d@x", "a@x"), []string{"a@x", "b@x", "c@x", "d@x"}},
		{"block a domain and a full JID", block("spam.example", "e@x/phone"), []string{"a@x", "b@x", "c@x", "d@x", "e@x/phone", "spam.example"}},
		{"unblock some, one not blocked", unblock("b@x", "zz@x", "e@x/phone", "b@x"), []string{"a@x", "c@x", "d@x", "spam.example"}},
		{"unblock is exact", unblock("A@x", "c@x/res", "spam.example."), []string{"a@x", "c@x", "d@x", "spam.example"}},
		{"unblock with an empty slice means all", func() error { return s.Unblock(ctx, hostA, "alice", []string{}) }, nil},
		{"block after clearing", block("f@x"), []string{"f@x"}},
		{"unblock with nil means all", func() error { return s.Unblock(ctx, hostA, "alice", nil) }, nil},
		{"block one, unblock it", func() error {
			if err := s.Block(ctx, hostA, "alice", []string{"g@x"}); err != nil {
				return err
			}
			return s.Unblock(ctx, hostA, "alice", []string{"g@x"})
		}, nil},
	}
	for _, st := range steps {
		if err := st.op(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		mustBlocked(t, s, hostA, "alice", st.want...)
	}
}

// testBlocklistOrder wants byte order, not a collation's.
func testBlocklistOrder(t *testing.T, s storage.Store) {
	jids := []string{"zed@x", "alice@x", "Bob@x", "bob@x", "é@x", "e@x", "日本@x", "0@x", "10@x", "9@x", "x", "a.b@x", "a-b@x"}
	in := slices.Clone(jids)
	slices.Reverse(in)
	if err := s.Block(t.Context(), hostA, "alice", in); err != nil {
		t.Fatal(err)
	}
	slices.Sort(jids)
	mustBlocked(t, s, hostA, "alice", jids...)
}

func testBlocklistIsolation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	for i, u := range []struct{ host, user string }{{hostA, "alice"}, {hostA, "bob"}, {hostB, "alice"}} {
		if err := s.Block(ctx, u.host, u.user, []string{fmt.Sprintf("j%d@x", i), "common@x"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Unblock(ctx, hostA, "alice", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Unblock(ctx, hostB, "alice", []string{"common@x"}); err != nil {
		t.Fatal(err)
	}
	mustBlocked(t, s, hostA, "alice")
	mustBlocked(t, s, hostA, "bob", "common@x", "j1@x")
	mustBlocked(t, s, hostB, "alice", "j2@x")
	mustBlocked(t, s, hostB, "bob")
}

func mustLast(t *testing.T, s storage.LastActivity, host, user string, wantAt time.Time, wantStatus string, found bool) {
	t.Helper()
	at, status, err := s.LastActivity(t.Context(), host, user)
	switch {
	case !found && !errors.Is(err, storage.ErrNotFound):
		t.Fatalf("LastActivity(%s, %s) = %v, %q, %v; want ErrNotFound", host, user, at, status, err)
	case !found:
		return
	case err != nil:
		t.Fatalf("LastActivity(%s, %s): %v", host, user, err)
	}
	if !at.Equal(wantAt.Truncate(time.Microsecond)) || at.Location() != time.UTC || status != wantStatus {
		t.Fatalf("LastActivity(%s, %s) = %v, %q; want %v in UTC, %q", host, user, at, status, wantAt.Truncate(time.Microsecond), wantStatus)
	}
}

func testLastActivity(t *testing.T, s storage.Store) {
	ctx := t.Context()
	tests := []struct {
		name   string
		at     time.Time
		status string
	}{
		{"plain", time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC), "Gone fishing"},
		{"empty status, nanoseconds", time.Date(2026, 11, 22, 1, 2, 3, 456789123, time.UTC), ""},
		{"another zone", time.Date(2026, 6, 1, 12, 0, 0, 0, time.FixedZone("UTC+5:45", 5*3600+45*60)), "ñ 日本 😀 <away/> &amp;"},
		{"earlier than before", time.Date(2001, 1, 1, 0, 0, 0, 1000, time.UTC), "back in time"},
		{"before 1970", time.Date(1960, 5, 5, 5, 5, 5, 5000, time.UTC), "old"},
	}
	mustLast(t, s, hostA, "alice", time.Time{}, "", false)
	for _, tc := range tests {
		if err := s.SetLastActivity(ctx, hostA, "alice", tc.at, tc.status); err != nil {
			t.Fatalf("%s: SetLastActivity: %v", tc.name, err)
		}
		mustLast(t, s, hostA, "alice", tc.at, tc.status, true)
	}
}

func testLastActivityIsolation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for i, u := range []struct{ host, user string }{{hostA, "alice"}, {hostA, "bob"}, {hostB, "alice"}} {
		if err := s.SetLastActivity(ctx, u.host, u.user, base.Add(time.Duration(i)*time.Hour), u.user+"@"+u.host); err != nil {
			t.Fatal(err)
		}
	}
	mustLast(t, s, hostA, "alice", base, "alice@"+hostA, true)
	mustLast(t, s, hostA, "bob", base.Add(time.Hour), "bob@"+hostA, true)
	mustLast(t, s, hostB, "alice", base.Add(2*time.Hour), "alice@"+hostB, true)
	mustLast(t, s, hostB, "bob", time.Time{}, "", false)
}
