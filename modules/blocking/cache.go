package blocking

import (
	"context"
	"hash/maphash"
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// userKey names an account: its localpart and domain.
type userKey struct{ local, domain string }

func keyOf(j jid.JID) userKey { return userKey{j.Localpart(), j.Domainpart()} }

// entry is what the module keeps about one account.
type entry struct {
	list *list // the block list; nil when empty

	// sessions is the number of bound sessions of the account on this
	// node. An entry with sessions is never evicted.
	sessions int
	// interested are the resources that asked for the block list in this
	// session (XEP-0191 §3.3: they get the pushes), by session.
	interested map[router.Session]jid.JID
	// presence is each resource's last available presence, sent again to
	// contacts that get unblocked (XEP-0191 §3.4).
	presence map[router.Session]*stream.Element
}

// cache holds the block lists of users with sessions, and a bounded number
// of others (users being written to while offline), so that enforcement
// reads no storage per stanza. It is sharded so that concurrent readers do
// not contend on one lock.
type cache struct {
	seed     maphash.Seed
	idleMax  int // per shard: entries without sessions kept at most
	shards   [64]shard
	loadLock [64]sync.Mutex // serializes loads and changes per account
}

type shard struct {
	mu    sync.RWMutex
	users map[userKey]*entry
	idle  int // entries with no session
}

func newCache(size int) *cache {
	c := &cache{seed: maphash.MakeSeed(), idleMax: max(size/64, 1)}
	for i := range c.shards {
		c.shards[i].users = make(map[userKey]*entry)
	}
	return c
}

func (c *cache) hash(k userKey) uint64 {
	return maphash.String(c.seed, k.local) ^ maphash.String(c.seed, k.domain)*0x9e3779b97f4a7c15
}

func (c *cache) shard(k userKey) *shard { return &c.shards[c.hash(k)%uint64(len(c.shards))] }

// userLock serializes loading and changing one account's list, so that a
// load racing a change can never put an older list in the cache.
func (c *cache) userLock(k userKey) *sync.Mutex {
	return &c.loadLock[(c.hash(k)>>8)%uint64(len(c.loadLock))]
}

// get returns the cached list of k and whether it was cached.
func (c *cache) get(k userKey) (*list, bool) {
	sh := c.shard(k)
	sh.mu.RLock()
	e, ok := sh.users[k]
	var l *list
	if ok {
		l = e.list
	}
	sh.mu.RUnlock()
	return l, ok
}

// loader reads an account's list from storage.
type loader func(ctx context.Context, k userKey) (*list, error)

// list returns k's list, loading it on a miss.
func (c *cache) list(ctx context.Context, k userKey, load loader) (*list, error) {
	if l, ok := c.get(k); ok {
		return l, nil
	}
	mu := c.userLock(k)
	mu.Lock()
	defer mu.Unlock()
	if l, ok := c.get(k); ok {
		return l, nil
	}
	l, err := load(ctx, k)
	if err != nil {
		return nil, err
	}
	c.set(k, l)
	return l, nil
}

// set stores k's list, creating the entry if needed. Callers hold
// userLock(k).
func (c *cache) set(k userKey, l *list) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.users[k]; ok {
		e.list = l
		return
	}
	if sh.idle >= c.idleMax {
		// Full of lists of users without sessions: drop them all, which is
		// cheap, bounded, and lets the hot ones come back at once.
		for uk, e := range sh.users {
			if e.sessions == 0 {
				delete(sh.users, uk)
			}
		}
		sh.idle = 0
	}
	sh.users[k] = &entry{list: l}
	sh.idle++
}

// opened records a bound session of k, loading its list if needed.
func (c *cache) opened(ctx context.Context, k userKey, load loader) error {
	mu := c.userLock(k)
	mu.Lock()
	defer mu.Unlock()
	l, ok := c.get(k)
	if !ok {
		var err error
		if l, err = load(ctx, k); err != nil {
			return err
		}
	}
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.users[k]
	if !ok {
		sh.users[k] = &entry{list: l, sessions: 1}
		return nil
	}
	if e.sessions == 0 {
		sh.idle--
	}
	e.sessions++
	return nil
}

// closed forgets session s of k.
func (c *cache) closed(k userKey, s router.Session) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.users[k]
	if !ok || e.sessions == 0 {
		return
	}
	delete(e.interested, s)
	delete(e.presence, s)
	e.sessions--
	if e.sessions == 0 {
		sh.idle++
		e.interested, e.presence = nil, nil
	}
}

// remove drops k (the account was deleted).
func (c *cache) remove(k userKey) {
	mu := c.userLock(k)
	mu.Lock()
	defer mu.Unlock()
	c.drop(k)
}

// drop removes k's entry; the caller holds userLock(k).
func (c *cache) drop(k userKey) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.users[k]; ok {
		if e.sessions == 0 {
			sh.idle--
		}
		delete(sh.users, k)
	}
}

// update runs fn on k's entry under the shard lock, if it exists.
func (c *cache) update(k userKey, fn func(e *entry)) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.users[k]; ok && e.sessions > 0 {
		fn(e)
	}
}

// interested returns the resources of k that asked for the list.
func (c *cache) interested(k userKey) map[router.Session]jid.JID {
	sh := c.shard(k)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	e, ok := sh.users[k]
	if !ok || len(e.interested) == 0 {
		return nil
	}
	out := make(map[router.Session]jid.JID, len(e.interested))
	for s, j := range e.interested {
		out[s] = j
	}
	return out
}

// presences returns k's resources' last available presence.
func (c *cache) presences(k userKey) []*stream.Element {
	sh := c.shard(k)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	e, ok := sh.users[k]
	if !ok {
		return nil
	}
	out := make([]*stream.Element, 0, len(e.presence))
	for _, p := range e.presence {
		out = append(out, p)
	}
	return out
}

// size returns the number of cached entries (for tests).
func (c *cache) size() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.users)
		sh.mu.RUnlock()
	}
	return n
}
