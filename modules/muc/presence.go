package muc

import (
	"context"
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Status codes of XEP-0045 §15.6 that the service sends.
const (
	codeNonAnonymous = "100"
	codeSelf         = "110"
	codeConfig       = "104"
	codeNowLogging   = "170"
	codeNonAnonNow   = "172"
	codeSemiAnonNow  = "173"
	codeCreated      = "201"
	codeBanned       = "301"
	codeNickChange   = "303"
	codeKicked       = "307"
	codeAffChange    = "321"
	codeMembersOnly  = "322"
	codeShutdown     = "332"
)

// heldBy reports whether o's session for full is rs.
func (o *occupant) heldBy(full string, rs router.Session) bool {
	for _, s := range o.sessions {
		if s.full.String() == full {
			return s.rs == rs
		}
	}
	return false
}

func newSession(full jid.JID) *session {
	s := &session{full: full, bare: full.Bare().String(), res: full.Resourcepart()}
	s.esc = stream.EscapeAttr(nil, full.String())
	return s
}

// stripPresence keeps what an occupant's presence carries to the room
// (show, status, caps, ...), without the MUC payloads.
func stripPresence(el *stream.Element) *stream.Element {
	p := &stream.Element{Space: stream.NSClient, Local: "presence"}
	for _, n := range el.Children {
		if n.Elem != nil && (n.Elem.Space == NS || n.Elem.Space == NSUser) {
			continue
		}
		if n.Elem == nil {
			continue // whitespace between children
		}
		p.Children = append(p.Children, n)
	}
	return p
}

// presOpts describe one presence an occupant's change produces.
type presOpts struct {
	typ       string   // "" or unavailable
	codes     []string // for everyone
	selfCodes []string // for the occupant's own sessions, besides 110
	item      func(it *stream.Element)
	extra     *stream.Element // a child of <x/> besides item and status (destroy)
	status    *stream.Element // <status/> of an unavailable presence
}

// presenceEl builds o's presence as one recipient sees it: with the real
// JID of s when withJID.
func (r *Room) presenceEl(o *occupant, s *session, withJID, self bool, po *presOpts) *stream.Element {
	p := stream.NewElement(stream.NSClient, "presence", "from", r.occupantJID(o.nick))
	if po.typ != "" {
		p.SetAttr("type", po.typ)
		if po.status != nil {
			p.AddChild(po.status)
		}
	} else if o.presence != nil {
		p.Children = append(p.Children, o.presence.Children...)
	}
	x := stream.NewElement(NSUser, "x")
	role := o.role
	aff := r.affOf(o.bare.String())
	if po.typ == "unavailable" {
		role = RoleNone
	}
	it := stream.NewElement(NSUser, "item", "affiliation", aff.String(), "role", role.String())
	if withJID && s != nil {
		it.SetAttr("jid", s.full.String())
	}
	if po.item != nil {
		po.item(it)
	}
	x.AddChild(it)
	if po.extra != nil {
		x.AddChild(po.extra)
	}
	codes := po.codes
	if self {
		codes = append(append(append([]string(nil), codes...), po.selfCodes...), codeSelf)
	}
	for _, c := range codes {
		x.AddChild(stream.NewElement(NSUser, "status", "code", c))
	}
	p.AddChild(x)
	return p
}

// broadcastPresence tells every occupant about o, and o's own sessions
// (plus extraSelf, a session that just left) with the self codes.
func (r *Room) broadcastPresence(o *occupant, po *presOpts, extraSelf *session) {
	var js *session
	if len(o.sessions) > 0 {
		js = o.sessions[0]
	} else {
		js = extraSelf
	}
	var withJID, without *broadcast
	for _, other := range r.nicks {
		if other == o {
			continue
		}
		if r.canSeeJIDs(other.role) {
			if withJID == nil {
				withJID = newBroadcast(r.presenceEl(o, js, true, false, po))
			}
			r.deliverOcc(withJID, other)
		} else {
			if without == nil {
				without = newBroadcast(r.presenceEl(o, js, false, false, po))
			}
			r.deliverOcc(without, other)
		}
	}
	self := o.sessions
	if extraSelf != nil {
		self = append(self[:len(self):len(self)], extraSelf)
	}
	for _, s := range self {
		r.deliver(newBroadcast(r.presenceEl(o, s, true, true, po)), s)
	}
}

// join handles available presence to room/nick: entering, a nick change
// or a presence update. nick is the enforced form of asked, the nick as
// the client sent it (RFC 8266); when the two differ, or the user must
// use the nick it registered, the user's sessions hear 210. It reports
// false when the room went away meanwhile (the caller looks it up again).
func (r *Room) join(ctx context.Context, el *stream.Element, from jid.JID, nick, asked string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return false
	}
	bounce := func(e *stanza.Error) {
		r.svc.m.router.Bounce(ctx, el, e)
		r.removeIfEmpty() // a room whose creation failed does not linger
	}
	key := from.String()
	bare := from.Bare().String()
	cur, _ := r.svc.m.router.Lookup(from.Bare().String(), from.Resourcepart())
	if o := r.byFull[key]; o != nil && !o.heldBy(key, cur) {
		// A new session took over this full JID before the old one's end
		// reached us: the old one leaves, the new one joins afresh.
		r.leaveLocked(from, nil, nil)
		if r.gone {
			return false
		}
	}
	if o := r.byFull[key]; o != nil {
		if o.nick == nick {
			o.presence = stripPresence(el)
			r.broadcastPresence(o, &presOpts{}, nil)
			return true
		}
		if e := r.changeNick(o, nick, asked, el); e != nil {
			bounce(e)
		}
		return true
	}
	aff := r.affOf(bare)
	x := el.Child(NS, "x")
	fresh := r.locked && len(r.nicks) == 0 && bare == r.creator && r.creator != ""
	switch {
	case r.locked && !fresh && aff != AffOwner:
		bounce(stanza.NewError(stanza.ItemNotFound, "the room is locked until its owner configures it"))
		return true
	case aff == AffOutcast:
		bounce(stanza.NewError(stanza.Forbidden, "you are banned from this room"))
		return true
	case r.cfg.MembersOnly && aff < AffMember:
		bounce(stanza.NewError(stanza.RegistrationRequired, "this room is members-only"))
		return true
	}
	if reg := r.registeredNick(bare); reg != "" && r.svc.m.cfg.EnforceRegisteredNicks {
		nick = reg // XEP-0045 §7.10: the user enters under the nick it registered
	}
	existing := r.byNick(nick)
	if existing != nil && existing.bare.String() != bare {
		bounce(stanza.NewError(stanza.Conflict, "that nick is in use"))
		return true
	}
	if existing != nil {
		nick = existing.nick // another session joins under the nick as it stands
	}
	if owner := r.nickOwner(nick); owner != "" && owner != bare {
		bounce(stanza.NewError(stanza.Conflict, "that nick is registered by someone else"))
		return true
	}
	if existing == nil && len(r.nicks) >= r.cfg.MaxUsers && aff < AffAdmin {
		bounce(&stanza.Error{Type: stanza.Wait, Condition: stanza.ServiceUnavailable, Text: "the room is full"})
		return true
	}
	if r.cfg.Password != "" && aff < AffOwner && (x == nil || x.ChildText(NS, "password") != r.cfg.Password) {
		bounce(stanza.NewError(stanza.NotAuthorized, "a password is required"))
		return true
	}
	s := newSession(from)
	s.rs = cur
	r.svc.track(key, r, true)
	selfCodes := r.joinCodes(fresh)
	if nick != asked {
		selfCodes = append(selfCodes, codeNickRewritten)
	}
	if existing != nil {
		// Another session of the same user under the same nick.
		existing.sessions = append(existing.sessions, s)
		r.byFull[key] = existing
		r.sendOccupants(s, existing)
		r.deliver(newBroadcast(r.presenceEl(existing, s, true, true, &presOpts{selfCodes: selfCodes})), s)
		r.sendHistory(s, x)
		r.sendSubject(s)
		r.svc.m.metrics.joins.Inc()
		return true
	}
	o := &occupant{nick: nick, bare: from.Bare(), role: DefaultRole(aff, r.cfg.Moderated), sessions: []*session{s}, presence: stripPresence(el)}
	r.byFull[key] = o
	r.sendOccupants(s, o)
	r.addNick(o)
	if fresh && x == nil {
		// A groupchat 1.0 client cannot configure: an instant room.
		r.locked = false
		r.save(ctx, true)
	}
	r.broadcastPresence(o, &presOpts{selfCodes: selfCodes}, nil)
	r.sendHistory(s, x)
	r.sendSubject(s)
	r.svc.m.metrics.joins.Inc()
	r.svc.m.metrics.occupants.Inc()
	return true
}

func (r *Room) joinCodes(created bool) []string {
	var c []string
	if r.cfg.Whois == whoisAnyone {
		c = append(c, codeNonAnonymous)
	}
	if created {
		c = append(c, codeCreated)
	}
	return c
}

// sendOccupants sends the new session everyone else's presence.
func (r *Room) sendOccupants(s *session, self *occupant) {
	seeJID := r.canSeeJIDs(self.role)
	for _, o := range r.nicks {
		if o == self {
			continue
		}
		var js *session
		if len(o.sessions) > 0 {
			js = o.sessions[0]
		}
		r.deliver(newBroadcast(r.presenceEl(o, js, seeJID, false, &presOpts{})), s)
	}
}

// nickOwner returns the bare JID that registered a nick comparing equal
// to nick (RFC 8266 §2.4), or "".
func (r *Room) nickOwner(nick string) string {
	k := ""
	for bare, e := range r.affs {
		if e.nick == "" {
			continue
		}
		if e.nick == nick {
			return bare
		}
		if k == "" {
			k = nickKey(nick)
		}
		if nickKey(e.nick) == k {
			return bare
		}
	}
	return ""
}

// changeNick renames o (XEP-0045 §7.6). A user held to its registered
// nick cannot take another (not-acceptable, §7.6 on nicks locked down).
func (r *Room) changeNick(o *occupant, nick, asked string, el *stream.Element) *stanza.Error {
	if reg := r.registeredNick(o.bare.String()); reg != "" && r.svc.m.cfg.EnforceRegisteredNicks && nickKey(reg) != nickKey(nick) {
		return stanza.NewError(stanza.NotAcceptable, "you must use the nick you registered: "+reg)
	}
	if other := r.byNick(nick); other != nil && other != o {
		return stanza.NewError(stanza.Conflict, "that nick is in use")
	}
	if owner := r.nickOwner(nick); owner != "" && owner != o.bare.String() {
		return stanza.NewError(stanza.Conflict, "that nick is registered by someone else")
	}
	r.broadcastPresence(o, &presOpts{typ: "unavailable", codes: []string{codeNickChange},
		item: func(it *stream.Element) { it.SetAttr("nick", nick) }}, nil)
	r.dropNick(o)
	o.nick = nick
	o.presence = stripPresence(el)
	r.addNick(o)
	po := &presOpts{}
	if nick != asked {
		po.selfCodes = []string{codeNickRewritten}
	}
	r.broadcastPresence(o, po, nil)
	return nil
}

// leave handles unavailable presence from a session, or the end of a
// session that did not leave (el nil).
func (r *Room) leave(ctx context.Context, from jid.JID, el *stream.Element, gone router.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leaveLocked(from, el, gone)
}

// leaveLocked is leave with r.mu held. gone, when not nil, is the session
// that ended: a newer session bound to the same full JID stays.
func (r *Room) leaveLocked(from jid.JID, el *stream.Element, gone router.Session) {
	key := from.String()
	o := r.byFull[key]
	if o == nil {
		return
	}
	var s *session
	for i, x := range o.sessions {
		if x.full.String() == key {
			if gone != nil && x.rs != gone {
				return
			}
			s = x
			o.sessions = append(o.sessions[:i], o.sessions[i+1:]...)
			break
		}
	}
	delete(r.byFull, key)
	r.svc.track(key, r, false)
	po := &presOpts{typ: "unavailable"}
	if el != nil {
		po.status = el.Child(stream.NSClient, "status")
	}
	if len(o.sessions) > 0 {
		if el != nil && s != nil {
			r.deliver(newBroadcast(r.presenceEl(o, s, true, true, po)), s)
		}
		return
	}
	r.dropNick(o)
	r.svc.m.metrics.occupants.Dec()
	if el == nil {
		s = nil // the session is gone: nothing to tell it
	}
	r.broadcastPresence(o, po, s)
	r.removeIfEmpty()
}

// remove takes o out of the room after a kick, ban or membership change:
// everyone hears the unavailable presence with codes.
func (r *Room) remove(o *occupant, po *presOpts) {
	r.dropNick(o)
	sessions := o.sessions
	for _, s := range sessions {
		delete(r.byFull, s.full.String())
		r.svc.track(s.full.String(), r, false)
	}
	r.svc.m.metrics.occupants.Dec()
	po.typ = "unavailable"
	r.broadcastPresence(o, po, nil)
	o.sessions = nil
}

// sendHistory sends the discussion history a join asked for (XEP-0045
// §7.2.15): maxchars, maxstanzas, seconds and since all limit it.
func (r *Room) sendHistory(s *session, x *stream.Element) {
	if len(r.history) == 0 {
		return
	}
	maxChars, maxStanzas := -1, -1
	var since time.Time
	if h := x.Child(NS, "history"); h != nil {
		if v, err := strconv.Atoi(h.Attr("maxchars")); err == nil && v >= 0 {
			maxChars = v
		}
		if v, err := strconv.Atoi(h.Attr("maxstanzas")); err == nil && v >= 0 {
			maxStanzas = v
		}
		if v, err := strconv.Atoi(h.Attr("seconds")); err == nil && v >= 0 {
			since = time.Now().Add(-time.Duration(v) * time.Second)
		}
		if v, err := time.Parse(time.RFC3339Nano, h.Attr("since")); err == nil && v.After(since) {
			since = v
		}
	}
	start := len(r.history)
	chars := 0
	for start > 0 {
		it := r.history[start-1]
		if maxStanzas >= 0 && len(r.history)-start >= maxStanzas {
			break
		}
		if !since.IsZero() && it.at.Before(since) {
			break
		}
		if maxChars >= 0 && chars+it.n > maxChars {
			break
		}
		chars += it.n
		start--
	}
	for _, it := range r.history[start:] {
		c := it.el.ShallowCopy()
		c.AddChild(stream.NewElement(NSDelay, "delay", "from", r.jid.String(),
			"stamp", it.at.UTC().Format("2006-01-02T15:04:05.000Z")))
		r.deliver(newBroadcast(c), s)
	}
}

// sendSubject sends the subject, empty if none, as the last step of a
// join (XEP-0045 §7.2.16).
func (r *Room) sendSubject(s *session) {
	from := r.jid.String()
	if r.subjectBy != "" {
		from = r.occupantJID(r.subjectBy)
	}
	m := stream.NewElement(stream.NSClient, "message", "from", from, "type", "groupchat", "id", "subject")
	m.AddChild(stream.NewElement(stream.NSClient, "subject").AddText(r.subject))
	r.deliver(newBroadcast(m), s)
}
