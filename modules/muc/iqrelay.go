package muc

import (
	"context"
	"crypto/rand"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// NSVCard is vcard-temp (XEP-0054). A vCard request to an occupant goes to
// the occupant's account, whose server keeps the vCard (XEP-0153 avatars
// in rooms rely on it).
const NSVCard = "vcard-temp"

// Bounds on IQs relayed between occupants that wait for their answer: an
// answer that takes longer than relayTTL finds no mapping and is dropped,
// and one occupant, or the whole room, cannot keep more than the caps
// waiting (resource-constraint), so relaying cannot grow memory unbounded.
const (
	relayTTL          = time.Minute
	relayCapOccupant  = 32
	relayCapRoom      = 1024
	relayIDPrefix     = "muc-"
	relaySweepEntries = relayCapRoom / 2
)

// relay is one IQ request relayed to an occupant, waiting for its answer.
// The relayed request carries a fresh, unguessable id; the answer must
// come from the JID the request went to and to the occupant JID it came
// from, so nobody else can answer in the target's name, and two senders
// reusing one id cannot collide.
type relay struct {
	sender   string // the requester's full JID
	fromNick string // the requester's nick, the 'from' of the relayed request
	origID   string // the requester's id
	dest     string // where the request went: a full JID, or a bare one for vCard
	destNick string // the target's nick, the 'from' of the answer
	expires  time.Time
}

// occupantIQ handles an IQ to room/nick (XEP-0045 §7.2 on IQs to occupant
// JIDs): a self-ping is answered (XEP-0410), a request from an occupant is
// relayed to the target, and an answer to a relayed request goes back to
// whoever asked. Stanzas are routed after r.mu is released: the target may
// be served by this process's own IQ handlers, whose answer comes straight
// back into this room.
func (r *Room) occupantIQ(ctx context.Context, el *stream.Element, from, to jid.JID) {
	if !isRequest(el) {
		if out := r.relayAnswer(el, from, to); out != nil {
			r.svc.m.router.Route(ctx, out)
		}
		return
	}
	out, res, e := r.relayRequest(el, from, to)
	switch {
	case e != nil:
		r.svc.m.router.Bounce(ctx, el, e)
	case out != nil:
		r.svc.m.metrics.relayed.Inc()
		r.svc.m.router.Route(ctx, out)
	default:
		r.svc.m.router.Route(ctx, stanza.Result(el, res))
	}
}

// relayRequest decides what a request to room/nick becomes: the relayed
// request out, a result payload res (a self-ping), or an error.
func (r *Room) relayRequest(el *stream.Element, from, to jid.JID) (out, res *stream.Element, e *stanza.Error) {
	payload := el.FirstChild()
	if payload == nil || el.ChildCount() != 1 {
		return nil, nil, stanza.ErrBadRequest("")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return nil, nil, stanza.NewError(stanza.ItemNotFound, "")
	}
	o := r.byFull[from.String()]
	nick := to.Resourcepart()
	if o == nil {
		return nil, nil, stanza.NewError(stanza.NotAcceptable, "you are not in this room")
	}
	if payload.Is(NSPing, "ping") && o.nick == nick {
		// XEP-0410: the service answers a ping to one's own occupant JID.
		return nil, nil, nil
	}
	target := r.byNick(nick)
	if target == nil || len(target.sessions) == 0 {
		return nil, nil, stanza.NewError(stanza.ItemNotFound, "no such occupant")
	}
	var dest string
	if payload.Is(NSVCard, "vCard") && el.Attr("type") == stanza.IQGet {
		// A vCard belongs to the account (XEP-0054); the target's server
		// answers for it, whatever the room's private-message rule, as a
		// vCard is what any user may fetch from that account anyway.
		dest = target.bare.String()
	} else {
		if e := r.mayPrivate(o); e != nil {
			return nil, nil, e
		}
		dest = r.pickSession(target).full.String()
	}
	id, e := r.addRelay(from.String(), o.nick, el.Attr("id"), dest, target.nick)
	if e != nil {
		return nil, nil, e
	}
	out = el.ShallowCopy()
	out.SetAttr("from", r.occupantJID(o.nick))
	out.SetAttr("to", dest)
	out.SetAttr("id", id)
	return out, nil, nil
}

// relayAnswer maps a result or error to room/nick back to the occupant
// that asked, or returns nil when it answers nothing this room relayed.
func (r *Room) relayAnswer(el *stream.Element, from, to jid.JID) *stream.Element {
	id := el.Attr("id")
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.relays[id]
	if !ok || (p.dest != from.String() && p.dest != from.Bare().String()) || p.fromNick != to.Resourcepart() {
		return nil // an answer to nothing we sent, or from someone else
	}
	delete(r.relays, id)
	if time.Now().After(p.expires) {
		return nil
	}
	out := el.ShallowCopy()
	out.SetAttr("from", r.occupantJID(p.destNick))
	out.SetAttr("to", p.sender)
	if p.origID == "" {
		out.RemoveAttr("id")
	} else {
		out.SetAttr("id", p.origID)
	}
	return out
}

// addRelay remembers a relayed request and returns its new id.
func (r *Room) addRelay(sender, fromNick, origID, dest, destNick string) (string, *stanza.Error) {
	now := time.Now()
	if len(r.relays) >= relaySweepEntries {
		for id, p := range r.relays {
			if now.After(p.expires) {
				delete(r.relays, id)
			}
		}
	}
	mine := 0
	for _, p := range r.relays {
		if p.sender == sender {
			mine++
		}
	}
	if mine >= relayCapOccupant || len(r.relays) >= relayCapRoom {
		return "", stanza.NewError(stanza.ResourceConstraint, "too many requests waiting for an answer")
	}
	if r.relays == nil {
		r.relays = map[string]relay{}
	}
	id := relayIDPrefix + rand.Text()
	r.relays[id] = relay{sender: sender, fromNick: fromNick, origID: origID, dest: dest, destNick: destNick,
		expires: now.Add(relayTTL)}
	return id, nil
}

// pickSession chooses the one session of a multi-session occupant that
// gets a relayed IQ: an IQ must have one answer, so it cannot go to all
// of them. The available session with the highest presence priority
// wins, the latest joined among equals.
func (r *Room) pickSession(o *occupant) *session {
	best := o.sessions[len(o.sessions)-1]
	if len(o.sessions) == 1 {
		return best
	}
	bestPrio, found := 0, false
	res := r.svc.m.router.Resources(o.bare)
	for _, s := range o.sessions {
		for _, x := range res {
			if x.JID.Equal(s.full) && x.Available && (!found || x.Priority >= bestPrio) {
				best, bestPrio, found = s, x.Priority, true
			}
		}
	}
	return best
}

// mayPrivate applies the room's allow-private-messages rule
// (muc#roomconfig_allowpm) to o, for private messages and relayed IQs.
func (r *Room) mayPrivate(o *occupant) *stanza.Error {
	switch r.cfg.AllowPM {
	case "none":
		return stanza.NewError(stanza.Forbidden, "private messages are disabled in this room")
	case "participants":
		if o.role < RoleParticipant {
			return stanza.NewError(stanza.Forbidden, "")
		}
	case "moderators":
		if o.role != RoleModerator {
			return stanza.NewError(stanza.Forbidden, "")
		}
	}
	return nil
}
