package storagetest

import (
	"fmt"
	"testing"

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
