package muc

import (
	"context"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// historyFlushEvery is how often the history of persistent rooms that
// changed is written to storage. Writing behind, rather than at every
// message, keeps storage latency off the room's lock and out of the
// fan-out; a crash loses at most this much history, a clean stop none
// (Stop flushes).
const historyFlushEvery = 2 * time.Second

// histChanged notes that r's history changed; r.mu is held. Only rooms
// kept in storage are queued, once until the next flush.
func (r *Room) histChanged() {
	if r.histDirty || r.svc.m.store == nil || !r.cfg.Persistent || r.locked {
		return
	}
	r.histDirty = true
	s := r.svc
	s.mu.Lock()
	s.dirty[r] = struct{}{}
	s.mu.Unlock()
}

// flushLoop writes changed histories until stop is closed.
func (m *Module) flushLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(historyFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			m.flushHistories(context.Background())
		}
	}
}

// flushHistories writes the history of every room that changed since the
// last flush.
func (m *Module) flushHistories(ctx context.Context) {
	svcs := m.servicesNow()
	for _, s := range svcs {
		s.mu.Lock()
		rooms := make([]*Room, 0, len(s.dirty))
		for r := range s.dirty {
			rooms = append(rooms, r)
		}
		clear(s.dirty)
		s.mu.Unlock()
		for _, r := range rooms {
			r.flushHistory(ctx)
		}
	}
}

// flushHistory writes r's history. The messages are serialized under r.mu
// and written after it is released, so the room never waits for storage.
// A room removed from storage meanwhile (destroyed, or made temporary)
// gets what was just written cleared again.
func (r *Room) flushHistory(ctx context.Context) {
	r.mu.Lock()
	r.histDirty = false
	if r.gone || !r.cfg.Persistent || r.locked {
		r.mu.Unlock()
		return
	}
	msgs := make([]storage.RoomMessage, len(r.history))
	for i, it := range r.history {
		msgs[i] = storage.RoomMessage{At: it.at, Stanza: it.el.AppendXML(nil, stream.NSClient)}
	}
	gen := r.storeGen
	r.mu.Unlock()

	r.storeMu.Lock()
	defer r.storeMu.Unlock()
	sctx, cancel := r.storeCtx(ctx)
	defer cancel()
	r.storeErr("save history", r.svc.m.store.SetRoomHistory(sctx, r.svc.domain, r.name, msgs))
	r.mu.Lock()
	stale := r.storeGen != gen
	r.mu.Unlock()
	if stale {
		r.storeErr("clear history", r.svc.m.store.SetRoomHistory(sctx, r.svc.domain, r.name, nil))
	}
}

// loadHistory restores a stored room's history, keeping at most the room's
// history length. A message that no longer parses is skipped.
func (r *Room) loadHistory(msgs []storage.RoomMessage) {
	limits := stream.DefaultLimits()
	for _, m := range msgs {
		limits.MaxStanzaBytes = max(limits.MaxStanzaBytes, len(m.Stanza))
		el, err := stream.DecodeElement(m.Stanza, limits, stream.NSClient)
		if err != nil || el.Local != "message" {
			r.svc.m.log.Warn("stored room history message unreadable, skipped", "room", r.jid.String(), "err", err)
			continue
		}
		r.history = append(r.history, histItem{at: m.At, el: el, n: len(m.Stanza)})
	}
	if n := r.cfg.HistoryLength; len(r.history) > n {
		r.history = append(r.history[:0], r.history[len(r.history)-n:]...)
	}
}
