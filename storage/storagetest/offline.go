package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

func runOffline(t *testing.T, f Factory) {
	runEach(t, f, []namedTest{
		{"Empty", testOfflineEmpty},
		{"OrderAndRoundTrip", testOfflineOrder},
		{"Limit", testOfflineLimit},
		{"ConcurrentLimit", testOfflineConcurrentLimit},
		{"DeleteUpTo", testOfflineDelete},
		{"Isolation", testOfflineIsolation},
		{"Copies", testOfflineCopies},
	})
}

// msg returns a message from sender with body n, stamped n seconds after
// a fixed time.
func msg(from string, n int) storage.OfflineMessage {
	return storage.OfflineMessage{
		Stamp:  time.Date(2026, 11, 21, 10, 0, n, 123456000, time.UTC),
		From:   from,
		Stanza: fmt.Appendf(nil, "<message from='%s' to='alice@example.com' type='chat'><body>%d</body></message>", from, n),
	}
}

func mustStore(t *testing.T, s storage.Offline, host, user string, m storage.OfflineMessage, max int) {
	t.Helper()
	if err := s.StoreOffline(t.Context(), host, user, m, max); err != nil {
		t.Fatalf("StoreOffline(%s, %s, max %d): %v", host, user, max, err)
	}
}

// mustOffline checks the stored messages against want (IDs aside: they
// must only grow) and CountOffline, and returns the IDs.
func mustOffline(t *testing.T, s storage.Offline, host, user string, want ...storage.OfflineMessage) []int64 {
	t.Helper()
	got, err := s.OfflineMessages(t.Context(), host, user)
	if err != nil {
		t.Fatalf("OfflineMessages(%s, %s): %v", host, user, err)
	}
	if got == nil {
		t.Fatalf("OfflineMessages(%s, %s) = nil, want a non-nil slice", host, user)
	}
	if len(got) != len(want) {
		t.Fatalf("OfflineMessages(%s, %s): %d messages, want %d", host, user, len(got), len(want))
	}
	ids := make([]int64, len(got))
	for i := range got {
		g, w := got[i], want[i]
		ids[i] = g.ID
		if i > 0 && g.ID <= got[i-1].ID {
			t.Fatalf("message %d has ID %d after ID %d, want increasing IDs", i, g.ID, got[i-1].ID)
		}
		if !g.Stamp.Equal(w.Stamp.Truncate(time.Microsecond)) || g.Stamp.Location() != time.UTC {
			t.Fatalf("message %d: stamp %v, want %v in UTC", i, g.Stamp, w.Stamp.Truncate(time.Microsecond))
		}
		if g.From != w.From || !bytes.Equal(g.Stanza, w.Stanza) {
			t.Fatalf("message %d: from %q stanza %q, want %q %q", i, g.From, g.Stanza, w.From, w.Stanza)
		}
	}
	if n, err := s.CountOffline(t.Context(), host, user); err != nil || n != len(want) {
		t.Fatalf("CountOffline(%s, %s) = %d, %v; want %d", host, user, n, err, len(want))
	}
	return ids
}

func testOfflineEmpty(t *testing.T, s storage.Store) {
	mustOffline(t, s, hostA, "alice")
	if err := s.DeleteOffline(t.Context(), hostA, "alice", math.MaxInt64); err != nil {
		t.Fatalf("DeleteOffline on an empty queue: %v", err)
	}
	mustOffline(t, s, hostA, "alice")
}

// testOfflineOrder wants messages back in the order stored, whatever
// their stamps, with every field intact.
func testOfflineOrder(t *testing.T, s storage.Store) {
	paris := time.FixedZone("CET", 3600)
	ms := []storage.OfflineMessage{
		msg("bob@example.org", 3),
		msg("carol@example.org", 1), // older stamp, stored later
		{Stamp: time.Date(2026, 1, 2, 3, 4, 5, 999999999, paris), From: "dave@example.org/phone",
			Stanza: []byte("<message>\x00\xff'\"\\ü</message>")}, // nanoseconds, a zone, odd bytes
		{Stamp: time.Date(1969, 12, 31, 23, 59, 59, 500, time.UTC), From: "", Stanza: nil}, // before 1970, empty
		{Stamp: time.Time{}, From: "zero@x", Stanza: bytes.Repeat([]byte("é"), 40000)},     // the zero time, 80 kB
		{Stamp: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), From: "ñ@例え", Stanza: []byte("<message/>")},
		msg("bob@example.org", 3), // the same message again is a second message
	}
	for i, m := range ms {
		m.ID = int64(1000 - i) // ignored: the store assigns IDs
		mustStore(t, s, hostA, "alice", m, 0)
	}
	for i := range ms {
		if ms[i].Stanza == nil {
			ms[i].Stanza = []byte{}
		}
	}
	mustOffline(t, s, hostA, "alice", ms...)
}

// testOfflineLimit walks each case's script of stores on its own user.
func testOfflineLimit(t *testing.T, s storage.Store) {
	type step struct {
		max  int
		want error
	}
	ok := func(max, n int) []step { return slices.Repeat([]step{{max, nil}}, n) }
	full := func(max int) step { return step{max, storage.ErrLimit} }
	tests := []struct {
		name  string
		steps []step
		count int
	}{
		{"max 3", append(ok(3, 3), full(3), full(3)), 3},
		{"max 1", append(ok(1, 1), full(1)), 1},
		{"max 0 is no limit", ok(0, 25), 25},
		{"negative max is no limit", ok(-1, 12), 12},
		{"lowered limit refuses", append(ok(5, 4), full(3), full(4), step{5, nil}, full(5)), 5},
		{"raised limit accepts", append(ok(2, 2), full(2), step{3, nil}, step{0, nil}), 4},
	}
	ctx := t.Context()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("limit%d", i)
			var want []storage.OfflineMessage
			for j, st := range tc.steps {
				m := msg("bob@x", j)
				err := s.StoreOffline(ctx, hostA, user, m, st.max)
				if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
					t.Fatalf("store #%d (max %d): err = %v, want %v", j, st.max, err, st.want)
				}
				if err == nil {
					want = append(want, m)
				}
			}
			if len(want) != tc.count {
				t.Fatalf("bad test: %d stored, count says %d", len(want), tc.count)
			}
			mustOffline(t, s, hostA, user, want...)
		})
	}

	t.Run("room again after delete", func(t *testing.T) {
		for i := range 3 {
			mustStore(t, s, hostA, "again", msg("bob@x", i), 3)
		}
		if err := s.StoreOffline(ctx, hostA, "again", msg("bob@x", 3), 3); !errors.Is(err, storage.ErrLimit) {
			t.Fatalf("fourth store: err = %v, want ErrLimit", err)
		}
		ids := mustOffline(t, s, hostA, "again", msg("bob@x", 0), msg("bob@x", 1), msg("bob@x", 2))
		if err := s.DeleteOffline(ctx, hostA, "again", ids[0]); err != nil {
			t.Fatal(err)
		}
		mustStore(t, s, hostA, "again", msg("bob@x", 4), 3)
		mustOffline(t, s, hostA, "again", msg("bob@x", 1), msg("bob@x", 2), msg("bob@x", 4))
	})

	t.Run("limit is per user", func(t *testing.T) {
		mustStore(t, s, hostA, "full", msg("bob@x", 0), 1)
		if err := s.StoreOffline(ctx, hostA, "full", msg("bob@x", 1), 1); !errors.Is(err, storage.ErrLimit) {
			t.Fatalf("err = %v, want ErrLimit", err)
		}
		mustStore(t, s, hostA, "roomy", msg("bob@x", 2), 1)
		mustStore(t, s, hostB, "full", msg("bob@x", 3), 1)
	})
}

// testOfflineConcurrentLimit races stores for one user: exactly max win,
// the others get ErrLimit, on each of several users at once.
func testOfflineConcurrentLimit(t *testing.T, s storage.Store) {
	const workers, max = 20, 5
	users := []string{"alice", "bob", "carol"}
	ctx := t.Context()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stored  = map[string]int{}
		limited = map[string]int{}
	)
	for _, u := range users {
		for w := range workers {
			wg.Go(func() {
				err := s.StoreOffline(ctx, hostA, u, msg("x@y", w), max)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					stored[u]++
				case errors.Is(err, storage.ErrLimit):
					limited[u]++
				default:
					t.Errorf("StoreOffline(%s): %v", u, err)
				}
			})
		}
	}
	wg.Wait()
	for _, u := range users {
		if stored[u] != max || limited[u] != workers-max {
			t.Errorf("%s: %d stored and %d refused, want %d and %d", u, stored[u], limited[u], max, workers-max)
		}
		if n, err := s.CountOffline(ctx, hostA, u); err != nil || n != max {
			t.Errorf("CountOffline(%s) = %d, %v; want %d", u, n, err, max)
		}
	}
}

// testOfflineDelete removes messages up to an ID, step by step.
func testOfflineDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	var ms []storage.OfflineMessage
	for i := range 6 {
		ms = append(ms, msg("bob@x", i))
		mustStore(t, s, hostA, "alice", ms[i], 0)
	}
	mustStore(t, s, hostA, "other", msg("carol@x", 9), 0)
	mustStore(t, s, hostB, "alice", msg("carol@x", 8), 0)
	ids := mustOffline(t, s, hostA, "alice", ms...)

	steps := []struct {
		name string
		upTo int64
		left []storage.OfflineMessage
	}{
		{"below every ID", ids[0] - 1, ms},
		{"zero", 0, ms},
		{"negative", -1, ms},
		{"the first", ids[0], ms[1:]},
		{"the same again", ids[0], ms[1:]},
		{"up to the third", ids[2], ms[3:]},
		{"an older ID", ids[1], ms[3:]},
		{"between IDs", ids[4] - 1, ms[4:]}, // IDs grow, maybe with gaps: ids[4]-1 >= ids[3]
		{"all", math.MaxInt64, nil},
		{"all of nothing", math.MaxInt64, nil},
	}
	for _, st := range steps {
		if err := s.DeleteOffline(ctx, hostA, "alice", st.upTo); err != nil {
			t.Fatalf("%s: DeleteOffline(%d): %v", st.name, st.upTo, err)
		}
		mustOffline(t, s, hostA, "alice", st.left...)
	}
	mustOffline(t, s, hostA, "other", msg("carol@x", 9))
	mustOffline(t, s, hostB, "alice", msg("carol@x", 8))

	// IDs are never handed out again, even once the newest message is
	// gone: a reader that deletes up to the last ID it saw must not remove
	// a message stored after.
	mustStore(t, s, hostA, "alice", msg("dave@x", 7), 0)
	newIDs := mustOffline(t, s, hostA, "alice", msg("dave@x", 7))
	if newIDs[0] <= ids[len(ids)-1] {
		t.Fatalf("new message got ID %d, not above the deleted %d", newIDs[0], ids[len(ids)-1])
	}
	if err := s.DeleteOffline(ctx, hostA, "alice", ids[len(ids)-1]); err != nil {
		t.Fatal(err)
	}
	mustOffline(t, s, hostA, "alice", msg("dave@x", 7))
}

// testOfflineIsolation checks that host and user are both part of the key.
func testOfflineIsolation(t *testing.T, s storage.Store) {
	mustStore(t, s, hostA, "alice", msg("a@x", 1), 0)
	mustStore(t, s, hostA, "bob", msg("b@x", 2), 0)
	mustStore(t, s, hostB, "alice", msg("c@x", 3), 0)
	mustStore(t, s, hostA, "alice", msg("d@x", 4), 0)
	mustOffline(t, s, hostA, "alice", msg("a@x", 1), msg("d@x", 4))
	mustOffline(t, s, hostA, "bob", msg("b@x", 2))
	mustOffline(t, s, hostB, "alice", msg("c@x", 3))
	mustOffline(t, s, hostB, "bob")
	if err := s.DeleteOffline(t.Context(), hostB, "alice", math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	mustOffline(t, s, hostA, "alice", msg("a@x", 1), msg("d@x", 4))
	mustOffline(t, s, hostB, "alice")
}

// testOfflineCopies checks that the store neither keeps nor hands out
// aliases of stanzas.
func testOfflineCopies(t *testing.T, s storage.Store) {
	m := msg("bob@x", 1)
	want := msg("bob@x", 1)
	mustStore(t, s, hostA, "alice", m, 0)
	m.Stanza[1] = 'X'
	got, err := s.OfflineMessages(t.Context(), hostA, "alice")
	if err != nil {
		t.Fatal(err)
	}
	got[0].Stanza[1] = 'Y'
	mustOffline(t, s, hostA, "alice", want)
	if !strings.HasPrefix(string(want.Stanza), "<message") {
		t.Fatal("bad fixture")
	}
}
