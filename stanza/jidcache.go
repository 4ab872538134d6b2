package stanza

import (
	"hash/maphash"
	"sync"

	"mellium.im/xmpp/jid"
)

// JIDCache memoizes jid.Parse: PRECIS normalization costs microseconds and
// the same few thousand addresses recur on every stanza. It is bounded: a
// shard that reaches its share of the capacity is cleared, which is cheap
// and keeps the hot entries coming back at once.
type JIDCache struct {
	seed   maphash.Seed
	shards [32]jidShard
	max    int
}

type jidShard struct {
	mu sync.RWMutex
	m  map[string]jidEntry
}

type jidEntry struct {
	j   jid.JID
	err error
}

// NewJIDCache returns a cache holding about capacity entries.
func NewJIDCache(capacity int) *JIDCache {
	c := &JIDCache{seed: maphash.MakeSeed(), max: max(capacity/32, 16)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]jidEntry)
	}
	return c
}

// Parse returns jid.Parse(s), from the cache when possible.
func (c *JIDCache) Parse(s string) (jid.JID, error) {
	sh := &c.shards[maphash.String(c.seed, s)%uint64(len(c.shards))]
	sh.mu.RLock()
	e, ok := sh.m[s]
	sh.mu.RUnlock()
	if ok {
		return e.j, e.err
	}
	// s may point into a decoder's per-stanza buffer; clone it so neither the
	// key nor the parsed JID keeps that whole buffer alive.
	k := string(append([]byte(nil), s...))
	j, err := jid.Parse(k)
	sh.mu.Lock()
	if len(sh.m) >= c.max {
		clear(sh.m)
	}
	sh.m[k] = jidEntry{j: j, err: err}
	sh.mu.Unlock()
	return j, err
}
