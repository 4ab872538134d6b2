package presence

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// resource is what the module keeps about one bound session.
type resource struct {
	session router.Session
	// last is the session's last available broadcast presence, answered to
	// probes; nil while unavailable. Shared read-only: copies are made to
	// readdress it.
	last *stream.Element
	// directed holds the entities the session sent available directed
	// presence to and has not sent unavailable since (RFC 6121 §4.6).
	directed map[string]struct{}
}

type shard struct {
	mu sync.Mutex
	m  map[string]*resource // full JID →
}

func (m *Module) reset() {
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]*resource)
		sh.mu.Unlock()
	}
}

func (m *Module) shard(full string) *shard {
	return &m.shards[maphash.String(m.seed, full)%uint64(len(m.shards))]
}

// lastPresence returns the last available presence of full, or nil.
func (m *Module) lastPresence(full string) *stream.Element {
	sh := m.shard(full)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if r := sh.m[full]; r != nil {
		return r.last
	}
	return nil
}

// onSessionOpened starts a fresh record: a resource bound again (a
// replaced session) starts with no presence and no directed peers.
func (m *Module) onSessionOpened(_ context.Context, ev *router.SessionEvent) {
	k := ev.JID.String()
	sh := m.shard(k)
	sh.mu.Lock()
	sh.m[k] = &resource{session: ev.Session}
	sh.mu.Unlock()
}

// onSessionClosed drops the record. A session that sent directed presence
// but never became available (so c2s synthesized no unavailable) still
// owes its peers an unavailable.
func (m *Module) onSessionClosed(ctx context.Context, ev *router.SessionEvent) {
	k := ev.JID.String()
	sh := m.shard(k)
	sh.mu.Lock()
	r := sh.m[k]
	if r == nil || (r.session != nil && r.session != ev.Session) {
		sh.mu.Unlock()
		return
	}
	delete(sh.m, k)
	peers := keys(r.directed)
	sh.mu.Unlock()
	for _, p := range peers {
		m.r.Route(ctx, stream.NewElement(stream.NSClient, "presence", "type", stanza.PresenceUnavailable,
			"from", k, "to", p))
	}
}

func (m *Module) onUserRemoved(_ context.Context, ev *router.UserEvent) {
	prefix := ev.Username + "@" + ev.Host + "/"
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.Lock()
		for k := range sh.m {
			if strings.HasPrefix(k, prefix) {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}

// onUserSend tracks directed presence (RFC 6121 §4.6): available presence
// to an entity records it, unavailable presence to it forgets it. The
// stanza itself is routed as usual. A probe without 'to' is dropped: it
// would reach the user's own clients, which never see probes.
func (m *Module) onUserSend(_ context.Context, p *router.Packet) router.Verdict {
	if p.Kind != stanza.KindPresence {
		return router.Pass
	}
	if p.Stanza.Attr("to") == "" {
		if p.Type == stanza.PresenceProbe {
			return router.Drop // a probe of oneself: the server knows, clients never see probes
		}
		return router.Pass
	}
	if p.Type != "" && p.Type != stanza.PresenceUnavailable {
		return router.Pass
	}
	if p.To.Bare().Equal(p.From.Bare()) {
		return router.Pass // the user's own resources learn of it anyway
	}
	k, peer := p.From.String(), p.To.String()
	sh := m.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.m[k]
	if r == nil {
		r = &resource{}
		sh.m[k] = r
	}
	if p.Type == stanza.PresenceUnavailable {
		delete(r.directed, peer)
		return router.Pass
	}
	if _, ok := r.directed[peer]; ok {
		return router.Pass
	}
	if len(r.directed) >= m.cfg.MaxDirected {
		m.metrics.directedFull.Inc()
		return router.Pass
	}
	if r.directed == nil {
		r.directed = make(map[string]struct{})
	}
	r.directed[peer] = struct{}{}
	return router.Pass
}

// record notes a broadcast presence change of full and returns, when it
// went unavailable, the directed-presence peers to tell (now forgotten).
// skip is true for a stale event: an old session of a resource that a new
// session has bound again and made available since.
func (m *Module) record(full jid.JID, s router.Session, available bool, el *stream.Element) (peers []string, skip bool) {
	k := full.String()
	sh := m.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r := sh.m[k]
	if r == nil {
		r = &resource{session: s}
		sh.m[k] = r
	}
	if r.session == nil {
		r.session = s
	}
	if s != nil && r.session != s {
		return nil, available || r.last != nil
	}
	if available {
		r.last = el
		return nil, false
	}
	r.last = nil
	peers = keys(r.directed)
	r.directed = nil
	return peers, false
}

func keys(set map[string]struct{}) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}
