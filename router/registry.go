package router

import (
	"errors"
	"hash/maphash"
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// Session is what the router delivers to: one bound client session.
type Session interface {
	// Deliver serializes el onto the session's outbound queue. It never
	// blocks; it reports false when the session is closed or was cut off.
	Deliver(el *stream.Element) bool
	// Kick ends the session with the stream error err (a newer login took
	// its resource, or the server shuts down).
	Kick(err *stream.Error)
}

// ConflictPolicy says what happens when a resource is bound twice.
type ConflictPolicy uint8

const (
	// ConflictReplace ends the old session with <conflict/>; the new wins.
	ConflictReplace ConflictPolicy = iota
	// ConflictRefuse refuses the new bind with a conflict stanza error.
	ConflictRefuse
)

// ErrConflict is returned by Bind under ConflictRefuse.
var ErrConflict = errors.New("router: resource already bound")

// Resource is one bound session of a user as the registry sees it.
type Resource struct {
	JID       jid.JID
	Session   Session
	Priority  int
	Available bool // has sent initial presence and not gone unavailable
}

const shardCount = 64

type registry struct {
	seed   maphash.Seed
	shards [shardCount]shard
}

type shard struct {
	mu    sync.RWMutex
	users map[string][]Resource // bare JID → resources
}

func newRegistry() *registry {
	r := &registry{seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].users = make(map[string][]Resource)
	}
	return r
}

func (r *registry) shard(bare string) *shard {
	return &r.shards[maphash.String(r.seed, bare)%shardCount]
}

// bind adds s under full. It returns the session it replaced, if any.
func (r *registry) bind(full jid.JID, s Session, p ConflictPolicy) (Session, error) {
	bare := full.Bare().String()
	res := full.Resourcepart()
	sh := r.shard(bare)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	list := sh.users[bare]
	for i := range list {
		if list[i].JID.Resourcepart() == res {
			if p == ConflictRefuse {
				return nil, ErrConflict
			}
			old := list[i].Session
			list[i] = Resource{JID: full, Session: s}
			return old, nil
		}
	}
	sh.users[bare] = append(list, Resource{JID: full, Session: s})
	return nil, nil
}

// unbind removes full if it is still held by s.
func (r *registry) unbind(full jid.JID, s Session) bool {
	bare := full.Bare().String()
	res := full.Resourcepart()
	sh := r.shard(bare)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	list := sh.users[bare]
	for i := range list {
		if list[i].JID.Resourcepart() == res && list[i].Session == s {
			list = append(list[:i], list[i+1:]...)
			if len(list) == 0 {
				delete(sh.users, bare)
			} else {
				sh.users[bare] = list
			}
			return true
		}
	}
	return false
}

func (r *registry) setPresence(full jid.JID, s Session, available bool, prio int) {
	bare := full.Bare().String()
	res := full.Resourcepart()
	sh := r.shard(bare)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	list := sh.users[bare]
	for i := range list {
		if list[i].JID.Resourcepart() == res && list[i].Session == s {
			list[i].Available = available
			list[i].Priority = prio
			return
		}
	}
}

// lookup returns the session bound to full.
func (r *registry) lookup(bare, resource string) (Session, bool) {
	sh := r.shard(bare)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for _, x := range sh.users[bare] {
		if x.JID.Resourcepart() == resource {
			return x.Session, true
		}
	}
	return nil, false
}

// resources appends a snapshot of bare's resources to dst.
func (r *registry) resources(dst []Resource, bare string) []Resource {
	sh := r.shard(bare)
	sh.mu.RLock()
	dst = append(dst, sh.users[bare]...)
	sh.mu.RUnlock()
	return dst
}

// count returns the number of bound resources.
func (r *registry) count() int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.RLock()
		for _, l := range sh.users {
			n += len(l)
		}
		sh.mu.RUnlock()
	}
	return n
}

// all appends every bound resource to dst.
func (r *registry) all(dst []Resource) []Resource {
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.RLock()
		for _, l := range sh.users {
			dst = append(dst, l...)
		}
		sh.mu.RUnlock()
	}
	return dst
}
