package scram

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// defaultCacheSize bounds a SaltedPasswordCache whose Max is zero.
const defaultCacheSize = 1024

// SaltedPasswordCache remembers salted passwords by (hash, password, salt,
// iterations), so a client that logs in many times with the same password
// and the same salt — a load generator, say — runs PBKDF2 once. The zero
// value is ready to use and safe for concurrent use. Entries are keyed by a
// SHA-256 digest, so the cache holds no password in the clear; it does hold
// salted passwords, which are password equivalents for that salt.
type SaltedPasswordCache struct {
	// Max bounds the number of entries; 0 means 1024. When full, an
	// arbitrary entry is dropped.
	Max int

	mu sync.Mutex
	m  map[[sha256.Size]byte]*cacheEntry
}

type cacheEntry struct {
	once   sync.Once
	salted []byte
	err    error
}

// SaltedPassword returns SaltedPassword(hashName, password, salt,
// iterations), computing it at most once per distinct input while the entry
// stays cached. Concurrent callers with the same input wait for one
// computation. The result is shared: do not modify it.
func (c *SaltedPasswordCache) SaltedPassword(hashName, password string, salt []byte, iterations int) ([]byte, error) {
	key := cacheKey(hashName, password, salt, iterations)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[[sha256.Size]byte]*cacheEntry)
	}
	e := c.m[key]
	if e == nil {
		max := c.Max
		if max <= 0 {
			max = defaultCacheSize
		}
		for k := range c.m {
			if len(c.m) < max {
				break
			}
			delete(c.m, k)
		}
		e = new(cacheEntry)
		c.m[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		e.salted, e.err = SaltedPassword(hashName, password, salt, iterations)
	})
	return e.salted, e.err
}

// Len reports the number of cached entries.
func (c *SaltedPasswordCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

func cacheKey(hashName, password string, salt []byte, iterations int) [sha256.Size]byte {
	d := sha256.New()
	var n [8]byte
	for _, field := range [][]byte{[]byte(hashName), salt, []byte(password)} {
		binary.BigEndian.PutUint64(n[:], uint64(len(field)))
		d.Write(n[:])
		d.Write(field)
	}
	binary.BigEndian.PutUint64(n[:], uint64(iterations))
	d.Write(n[:])
	var k [sha256.Size]byte
	d.Sum(k[:0])
	return k
}
