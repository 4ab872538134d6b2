package storagetest

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// BenchmarkCredentialsGet measures the login hot path on s: fetching one
// account's keys among a thousand, from parallel goroutines as concurrent
// logins would. A backend's benchmark opens s and calls this.
//
// The target is what the driver itself costs: one round trip (or one
// B-tree lookup) and no allocations beyond the driver's, so no caching or
// extra queries creep into the login path unnoticed.
func BenchmarkCredentialsGet(b *testing.B, s storage.Users) {
	const users = 1000
	ctx := b.Context()
	for i := range users {
		if err := s.CreateUser(ctx, hostA, fmt.Sprintf("user%04d", i), creds(i)); err != nil {
			b.Fatal(err)
		}
	}
	names := make([]string, users)
	for i := range names {
		names[i] = fmt.Sprintf("user%04d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Credentials(ctx, hostA, names[i%users]); err != nil {
				b.Error(err)
				return
			}
			i += 7
		}
	})
}

// BenchmarkRosterItems measures reading a 100-item roster, as every login
// does (RFC 6121 §2.2, with XEP-0237 versioning), from parallel goroutines.
// A backend's benchmark opens s and calls this.
//
// The target is one statement (one round trip) for items and version
// together, and allocations that grow with the items only: the result
// slices and each item's strings, groups and stanza, nothing per item
// beyond what the caller keeps.
func BenchmarkRosterItems(b *testing.B, s storage.Roster) {
	const items = 100
	ctx := b.Context()
	for i := range items {
		it := storage.RosterItem{
			JID:          fmt.Sprintf("contact%03d@example.org", i),
			Name:         fmt.Sprintf("Contact %d", i),
			Subscription: storage.SubBoth,
			Groups:       []string{"Friends", fmt.Sprintf("Team %d", i%5)},
		}
		if i%10 == 0 {
			it.Subscription, it.PendingIn = storage.SubTo, true
			it.InStanza = []byte("<presence from='contact@example.org' type='subscribe'/>")
		}
		if _, err := s.SetRosterItem(ctx, hostA, "alice", it); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			got, ver, err := s.RosterItems(ctx, hostA, "alice")
			if err != nil || len(got) != items || ver != "100" {
				b.Errorf("RosterItems: %d items, version %q, %v", len(got), ver, err)
				return
			}
		}
	})
}

// BenchmarkStoreOffline measures storing a message for an offline user,
// bounded at 100 messages as a server would, across 1000 users from
// parallel goroutines. A user's queue that fills up is emptied (inside
// the timing, once per 100 stores) as a login would.
//
// The target is one transaction per message: on PostgreSQL its lock,
// count and insert in one round trip besides BEGIN and COMMIT; on SQLite
// one write transaction on the single writer.
func BenchmarkStoreOffline(b *testing.B, s storage.Offline) {
	const users, max = 1000, 100
	names := make([]string, users)
	for i := range names {
		names[i] = fmt.Sprintf("user%04d", i)
	}
	stanza := []byte(`<message from='bob@example.org/phone' to='alice@example.com' type='chat' id='b3f1c2a9'>` +
		`<body>Are we still on for lunch tomorrow? I can book the usual place at noon.</body>` +
		`<active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	ctx := b.Context()
	var next atomic.Int64
	b.SetBytes(int64(len(stanza)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			user := names[next.Add(1)%users]
			m := storage.OfflineMessage{Stamp: time.Now(), From: "bob@example.org/phone", Stanza: stanza}
			err := s.StoreOffline(ctx, hostA, user, m, max)
			if errors.Is(err, storage.ErrLimit) {
				if err = s.DeleteOffline(ctx, hostA, user, math.MaxInt64); err == nil {
					err = s.StoreOffline(ctx, hostA, user, m, max)
				}
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
