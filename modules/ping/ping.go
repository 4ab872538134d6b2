package ping

import (
	"context"
	"hash/maphash"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// idPrefix starts the id of every server ping.
const idPrefix = "srv-ping-"

// handlePing answers a ping to the server or to an account (XEP-0199 §4.2
// and §4.3): an empty result.
func (m *Module) handlePing(_ context.Context, iq *router.IQ) (*stream.Element, error) {
	if iq.Type != stanza.IQGet || !iq.Payload.Is(NS, "ping") {
		return nil, stanza.ErrBadRequest("")
	}
	m.metrics.answered.Inc()
	return nil, nil
}

// tracked is one bound session as the module watches it.
type tracked struct {
	full    jid.JID
	session router.Session
	last    atomic.Int64 // Unix nanoseconds of the last stanza it sent

	mu      sync.Mutex
	pending string    // id of the unanswered ping, "" for none
	sentAt  time.Time // when that ping went out
	kicked  bool
}

// sessions maps full JIDs to tracked sessions, in shards so that marking
// activity on every stanza does not contend on one lock.
type sessions struct {
	seed   maphash.Seed
	shards [16]struct {
		mu sync.RWMutex
		m  map[string]*tracked
	}
}

func (s *sessions) init() {
	s.seed = maphash.MakeSeed()
	for i := range s.shards {
		s.shards[i].m = make(map[string]*tracked)
	}
}

func (s *sessions) shard(full string) int {
	return int(maphash.String(s.seed, full) % uint64(len(s.shards)))
}

func (s *sessions) get(full string) *tracked {
	sh := &s.shards[s.shard(full)]
	sh.mu.RLock()
	t := sh.m[full]
	sh.mu.RUnlock()
	return t
}

func (s *sessions) put(full string, t *tracked) {
	sh := &s.shards[s.shard(full)]
	sh.mu.Lock()
	sh.m[full] = t
	sh.mu.Unlock()
}

// remove forgets full if it is still the entry of session.
func (s *sessions) remove(full string, session router.Session) {
	sh := &s.shards[s.shard(full)]
	sh.mu.Lock()
	if t, ok := sh.m[full]; ok && t.session == session {
		delete(sh.m, full)
	}
	sh.mu.Unlock()
}

// each calls fn for every tracked session, one shard at a time.
func (s *sessions) each(fn func(*tracked)) {
	var batch []*tracked
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		batch = batch[:0]
		for _, t := range sh.m {
			batch = append(batch, t)
		}
		sh.mu.RUnlock()
		for _, t := range batch {
			fn(t)
		}
	}
}

// len returns the number of tracked sessions.
func (s *sessions) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

func (m *Module) onSessionOpened(_ context.Context, ev *router.SessionEvent) {
	t := &tracked{full: ev.JID, session: ev.Session}
	t.last.Store(m.now().UnixNano())
	m.sessions.put(ev.JID.String(), t)
	m.metrics.tracked.Set(float64(m.sessions.len()))
}

func (m *Module) onSessionClosed(_ context.Context, ev *router.SessionEvent) {
	m.sessions.remove(ev.JID.String(), ev.Session)
	m.metrics.tracked.Set(float64(m.sessions.len()))
}

// onSend marks the sending session active and takes the answer to a
// server ping off the stream.
func (m *Module) onSend(_ context.Context, p *router.Packet) router.Verdict {
	t := m.sessions.get(p.Stanza.Attr("from"))
	if t == nil {
		return router.Pass
	}
	t.last.Store(m.now().UnixNano())
	if p.Kind != stanza.KindIQ || (p.Type != stanza.IQResult && p.Type != stanza.TypeError) {
		return router.Pass
	}
	id := p.Stanza.Attr("id")
	if !strings.HasPrefix(id, idPrefix) {
		return router.Pass
	}
	if to := p.Stanza.Attr("to"); to != "" && to != t.full.Domainpart() {
		return router.Pass
	}
	t.mu.Lock()
	match := t.pending == id
	if match {
		t.pending = ""
	}
	t.mu.Unlock()
	if !match {
		return router.Pass
	}
	m.metrics.answers.Inc()
	return router.Handled
}

// action is what a sweep does to one session.
type action uint8

const (
	none action = iota
	ping
	kick
)

// check decides what to do with t at now, and records the ping it sends.
func (m *Module) check(t *tracked, now time.Time) (action, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.kicked:
		return none, ""
	case t.pending != "":
		if now.Sub(t.sentAt) < m.cfg.Timeout {
			return none, ""
		}
		m.metrics.timeouts.Inc()
		if m.cfg.KickOnTimeout {
			t.kicked = true
			return kick, ""
		}
		// Not kicking: forget this ping, and count the silence from now.
		t.pending = ""
		t.last.Store(now.UnixNano())
		return none, ""
	case now.UnixNano()-t.last.Load() >= int64(m.cfg.Interval):
		t.pending = idPrefix + strconv.FormatUint(m.seq.Add(1), 36)
		t.sentAt = now
		return ping, t.pending
	}
	return none, ""
}

// sweep pings idle sessions and ends the ones whose ping went unanswered.
func (m *Module) sweep(ctx context.Context, now time.Time) {
	m.sessions.each(func(t *tracked) {
		switch a, id := m.check(t, now); a {
		case ping:
			iq := stream.NewElement(stream.NSClient, "iq", "type", stanza.IQGet, "id", id,
				"from", t.full.Domainpart(), "to", t.full.String())
			iq.AddChild(stream.NewElement(NS, "ping"))
			if t.session.Deliver(iq) {
				m.metrics.sent.Inc()
			}
		case kick:
			m.log.LogAttrs(ctx, slog.LevelDebug, "no answer to ping, ending the session",
				slog.String("jid", t.full.String()))
			t.session.Kick(stream.E(stream.ConnectionTimeout, "no answer to ping"))
		}
	})
}
