package router

import (
	"context"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Verdict is what a stanza hook decides.
type Verdict uint8

const (
	// Pass lets the stanza go on to the next hook and then to delivery.
	Pass Verdict = iota
	// Handled means the hook took care of the stanza; nothing else runs.
	Handled
	// Drop discards the stanza silently.
	Drop
)

// Packet is a stanza passing a hook point, with its addresses parsed.
type Packet struct {
	Kind   stanza.Kind
	Type   string // the 'type' attribute as sent ("" for the default)
	From   jid.JID
	To     jid.JID // the sender's bare JID when the stanza had no 'to'
	Stanza *stream.Element
}

// PresenceEvent reports a change of a session's broadcast presence.
type PresenceEvent struct {
	JID       jid.JID         // the session's full JID
	Available bool            // false for unavailable
	Priority  int             // for available presence
	Initial   bool            // the first available presence of the session
	Stanza    *stream.Element // the presence as the client sent it, 'from' stamped
	Session   Session
}

// SessionEvent reports a session being bound or closed.
type SessionEvent struct {
	JID     jid.JID
	Session Session
	// LastPresence is the session's last available presence when it closed
	// (nil if it never sent one or went unavailable before closing).
	LastPresence *stream.Element
}

// UserEvent reports an account being removed; modules drop what they keep.
type UserEvent struct {
	Host, Username string
}

// Hook is one hook point: an ordered list of handlers of type F. Handlers
// run over an immutable snapshot without any lock held, so a handler may
// add or remove hooks; adding copies the list (copy-on-write).
type Hook[F any] struct {
	mu   sync.Mutex
	list atomic.Pointer[[]hookEntry[F]]
	next uint64
}

type hookEntry[F any] struct {
	id       uint64
	priority int
	owner    string
	fn       F
}

// Add registers fn under owner (a module name, for logs). Lower priorities
// run first; equal priorities run in registration order. The returned func
// removes exactly this registration.
func (h *Hook[F]) Add(priority int, owner string, fn F) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	id := h.next
	var cur []hookEntry[F]
	if p := h.list.Load(); p != nil {
		cur = *p
	}
	nl := slices.Clone(cur)
	i := len(nl)
	for j, e := range nl {
		if e.priority > priority {
			i = j
			break
		}
	}
	nl = slices.Insert(nl, i, hookEntry[F]{id: id, priority: priority, owner: owner, fn: fn})
	h.list.Store(&nl)
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		cur := *h.list.Load()
		nl := slices.DeleteFunc(slices.Clone(cur), func(e hookEntry[F]) bool { return e.id == id })
		h.list.Store(&nl)
	}
}

func (h *Hook[F]) snapshot() []hookEntry[F] {
	if p := h.list.Load(); p != nil {
		return *p
	}
	return nil
}

// Empty reports whether no handler is registered (a cheap check for hot paths).
func (h *Hook[F]) Empty() bool { return len(h.snapshot()) == 0 }

// StanzaHook is a handler at a stanza hook point.
type StanzaHook func(ctx context.Context, p *Packet) Verdict

// EventHook is a handler at an event hook point; events cannot be vetoed.
type EventHook[E any] func(ctx context.Context, e *E)

// Hooks are the fixed points where modules plug in (DESIGN.md).
type Hooks struct {
	// UserSend runs for every stanza a local user's session sends, after
	// 'from' is stamped and before routing.
	UserSend Hook[StanzaHook]
	// UserReceive runs when a stanza reaches a local account (bare or full
	// JID), before the RFC 6121 §8.5 delivery rules.
	UserReceive Hook[StanzaHook]
	// Offline runs for a message no resource could take (RFC 6121 §8.5.2.2);
	// when no hook handles it, the sender gets service-unavailable.
	Offline Hook[StanzaHook]
	// PresenceChanged runs after a session's broadcast presence changed.
	PresenceChanged Hook[EventHook[PresenceEvent]]
	// SessionOpened runs after a resource is bound.
	SessionOpened Hook[EventHook[SessionEvent]]
	// SessionClosed runs after a bound session ended, clean or not.
	SessionClosed Hook[EventHook[SessionEvent]]
	// UserRemoved runs after an account was deleted.
	UserRemoved Hook[EventHook[UserEvent]]
}

// RunStanza runs a stanza hook point and returns the first verdict other
// than Pass. A panicking handler is logged and counts as Pass, so one
// module's bug cannot take a session down.
func (r *Router) RunStanza(ctx context.Context, h *Hook[StanzaHook], p *Packet) Verdict {
	for _, e := range h.snapshot() {
		if v := r.callStanza(ctx, e, p); v != Pass {
			return v
		}
	}
	return Pass
}

func (r *Router) callStanza(ctx context.Context, e hookEntry[StanzaHook], p *Packet) (v Verdict) {
	defer func() {
		if x := recover(); x != nil {
			r.log.LogAttrs(ctx, slog.LevelError, "hook panicked", slog.String("module", e.owner),
				slog.Any("panic", x), slog.String("stack", string(debug.Stack())))
			v = Pass
		}
	}()
	return e.fn(ctx, p)
}

// RunEvent runs every handler of an event hook point.
func RunEvent[E any](ctx context.Context, r *Router, h *Hook[EventHook[E]], ev *E) {
	for _, e := range h.snapshot() {
		func() {
			defer func() {
				if x := recover(); x != nil {
					r.log.LogAttrs(ctx, slog.LevelError, "hook panicked", slog.String("module", e.owner),
						slog.Any("panic", x), slog.String("stack", string(debug.Stack())))
				}
			}()
			e.fn(ctx, ev)
		}()
	}
}
