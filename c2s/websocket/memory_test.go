package websocket_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	ws "github.com/meerkat-xmpp/meerkat/c2s/websocket"
)

// BenchmarkIdleSessions measures the memory of idle, bound WebSocket
// sessions: heap and goroutine stacks per session, server and test clients
// together (both sides live in this process, and the test clients, on
// coder/websocket, cost more than the server's sessions). The server's
// sessions park after 50 ms, and are measured parked. Run with
// WS_HEAPPROFILE set to write a heap profile of the live sessions, and
// focus on c2s and c2s/websocket frames for the server's share:
//
//	WS_HEAPPROFILE=/tmp/heap.out go test -run '^$' -bench IdleSessions -benchtime 1x -memprofilerate 512 ./c2s/websocket/
//	go tool pprof -sample_index=inuse_space -top -focus 'meerkat/c2s' /tmp/heap.out
func BenchmarkIdleSessions(b *testing.B) {
	const n = 500
	b.ReportAllocs()
	for range b.N {
		e := startParking(b, ws.Config{Proxies: trustLoopback(b)}, 50*time.Millisecond)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		clients := make([]*client, n)
		for i := range clients {
			c := dial(b, e.url, proxied())
			c.res = fmt.Sprintf("r%d", i)
			c.loginPlain("alice")
			clients[i] = c
		}
		e.waitParked(b, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse) / n / 1024
		b.ReportMetric(per, "KiB/session(both-sides)")
		if path := os.Getenv("WS_HEAPPROFILE"); path != "" {
			// A heap profile while the sessions are alive (-memprofile is
			// written after cleanup, when they are gone).
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		for _, c := range clients {
			c.c.CloseNow()
		}
	}
}
