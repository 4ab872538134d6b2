package muc

import (
	"context"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Data form types of XEP-0045.
const (
	formRequest = NS + "#request"
	formConfig  = NS + "#roomconfig"
	formInfo    = NS + "#roominfo"
	formReg     = NS + "#register"
)

// message handles a message to the room or to an occupant.
func (r *Room) message(ctx context.Context, el *stream.Element, from, to jid.JID) {
	typ := stanza.MessageType(el)
	if typ == stanza.TypeError {
		return
	}
	var e *stanza.Error
	func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.gone {
			e = stanza.NewError(stanza.ItemNotFound, "")
			return
		}
		o := r.byFull[from.String()]
		switch {
		case to.Resourcepart() != "":
			e = r.private(el, o, to.Resourcepart(), typ)
		case typ == stanza.MessageGroupchat:
			e = r.groupchat(ctx, el, o)
		case el.Child(NSUser, "x") != nil:
			e = r.mediated(ctx, el, from, o)
		case formType(el.Child(NSData, "x")) == formRequest:
			e = r.voiceRequest(ctx, el, o)
		default:
			e = stanza.NewError(stanza.BadRequest, "send groupchat messages to the room")
		}
	}()
	if e != nil {
		r.svc.m.router.Bounce(ctx, el, e)
	}
}

// messageFrom copies el's id, lang and payload into a message from the
// room or an occupant, with no 'to'.
func messageFrom(el *stream.Element, from, typ string) *stream.Element {
	m := &stream.Element{Space: stream.NSClient, Local: "message", Children: el.Children}
	m.Attrs = make([]stream.Attr, 0, 4)
	m.Attrs = append(m.Attrs, stream.Attr{Local: "from", Value: from})
	if typ != "" {
		m.Attrs = append(m.Attrs, stream.Attr{Local: "type", Value: typ})
	}
	if id := el.Attr("id"); id != "" {
		m.Attrs = append(m.Attrs, stream.Attr{Local: "id", Value: id})
	}
	if lang := el.AttrNS(stream.NSXML, "lang"); lang != "" {
		m.Attrs = append(m.Attrs, stream.Attr{Space: stream.NSXML, Local: "lang", Value: lang})
	}
	return m
}

// groupchat broadcasts a message or a subject change (XEP-0045 §7.4, §8.1).
func (r *Room) groupchat(ctx context.Context, el *stream.Element, o *occupant) *stanza.Error {
	if o == nil {
		return stanza.NewError(stanza.NotAcceptable, "you are not in this room")
	}
	if o.role < RoleParticipant {
		return stanza.NewError(stanza.Forbidden, "you have no voice in this room")
	}
	subj := el.Child(stream.NSClient, "subject")
	hasBody := el.Child(stream.NSClient, "body") != nil
	m := messageFrom(el, r.occupantJID(o.nick), stanza.MessageGroupchat)
	if subj != nil && !hasBody {
		if o.role != RoleModerator && !r.cfg.ChangeSubject {
			return stanza.NewError(stanza.Forbidden, "only moderators may change the subject")
		}
		r.subject, r.subjectBy = subj.Text(), o.nick
		r.save(ctx, false)
		r.broadcastAll(newBroadcast(m))
		return nil
	}
	r.post(m, hasBody)
	return nil
}

// post broadcasts the groupchat message m to every occupant and, if it has
// a body, keeps it in the room's history; r.mu is held.
func (r *Room) post(m *stream.Element, hasBody bool) {
	bc := newBroadcast(m)
	r.broadcastAll(bc)
	r.svc.m.metrics.messages.Inc()
	if r.cfg.HistoryLength > 0 && hasBody {
		if len(r.history) >= r.cfg.HistoryLength {
			n := copy(r.history, r.history[len(r.history)-r.cfg.HistoryLength+1:])
			r.history = r.history[:n]
		}
		r.history = append(r.history, histItem{at: time.Now(), el: m.DeepCopy(), n: len(bc.raw.Head) + len(bc.raw.Tail) - len("to=''")})
		r.histChanged()
	}
}

// broadcastAll sends bc to every session of every occupant.
func (r *Room) broadcastAll(bc *broadcast) {
	for _, o := range r.nicks {
		r.deliverOcc(bc, o)
	}
}

// private relays a message to one occupant (XEP-0045 §7.5).
func (r *Room) private(el *stream.Element, o *occupant, nick, typ string) *stanza.Error {
	if o == nil {
		return stanza.NewError(stanza.NotAcceptable, "you are not in this room")
	}
	if typ == stanza.MessageGroupchat {
		return stanza.NewError(stanza.BadRequest, "private messages are not groupchat")
	}
	if e := r.mayPrivate(o); e != nil {
		return e
	}
	target := r.byNick(nick)
	if target == nil {
		return stanza.NewError(stanza.ItemNotFound, "no such occupant")
	}
	m := messageFrom(el, r.occupantJID(o.nick), el.Attr("type"))
	m.Children = append(append([]stream.Node(nil), el.Children...), stream.Node{Elem: stream.NewElement(NSUser, "x")})
	r.deliverOcc(newBroadcast(m), target)
	return nil
}

// mediated handles invitations and declines (XEP-0045 §7.8.2, §7.8.3).
func (r *Room) mediated(ctx context.Context, el *stream.Element, from jid.JID, o *occupant) *stanza.Error {
	x := el.Child(NSUser, "x")
	if d := x.Child(NSUser, "decline"); d != nil {
		to, err := r.svc.m.router.JIDs().Parse(d.Attr("to"))
		if err != nil || to.Domainpart() == r.svc.domain {
			return stanza.NewError(stanza.JIDMalformed, "")
		}
		out := stream.NewElement(stream.NSClient, "message", "from", r.jid.String())
		dx := stream.NewElement(NSUser, "x")
		dec := stream.NewElement(NSUser, "decline", "from", from.Bare().String())
		if reason := d.Child(NSUser, "reason"); reason != nil {
			dec.AddChild(reason)
		}
		out.AddChild(dx.AddChild(dec))
		r.sendTo(ctx, out, to.String())
		return nil
	}
	invites := 0
	for inv := range x.Elements() {
		if !inv.Is(NSUser, "invite") {
			continue
		}
		invites++
		if o == nil {
			return stanza.NewError(stanza.NotAcceptable, "you are not in this room")
		}
		aff := r.affOf(o.bare.String())
		if !r.cfg.AllowInvites && aff < AffAdmin && o.role != RoleModerator {
			return stanza.NewError(stanza.Forbidden, "you may not invite to this room")
		}
		to, err := r.svc.m.router.JIDs().Parse(inv.Attr("to"))
		if err != nil || to.Domainpart() == r.svc.domain {
			return stanza.NewError(stanza.JIDMalformed, "")
		}
		if r.cfg.MembersOnly && aff >= AffAdmin && r.affOf(to.Bare().String()) < AffMember {
			r.setAff(to.Bare().String(), AffMember, "")
			r.saveAff(ctx, to.Bare().String())
		}
		out := stream.NewElement(stream.NSClient, "message", "from", r.jid.String())
		ox := stream.NewElement(NSUser, "x")
		oi := stream.NewElement(NSUser, "invite", "from", from.String())
		if reason := inv.Child(NSUser, "reason"); reason != nil {
			oi.AddChild(reason)
		}
		ox.AddChild(oi)
		if r.cfg.Password != "" {
			ox.AddChild(stream.NewElement(NSUser, "password").AddText(r.cfg.Password))
		}
		out.AddChild(ox)
		if b := el.Child(stream.NSClient, "body"); b != nil {
			out.AddChild(b)
		}
		r.sendTo(ctx, out, to.String())
		r.svc.m.metrics.invites.Inc()
	}
	if invites == 0 {
		return stanza.NewError(stanza.BadRequest, "")
	}
	return nil
}

// voiceRequest forwards a visitor's request for voice to the moderators
// (XEP-0045 §7.13), or applies a moderator's approval (§8.6).
func (r *Room) voiceRequest(ctx context.Context, el *stream.Element, o *occupant) *stanza.Error {
	if o == nil {
		return stanza.NewError(stanza.NotAcceptable, "you are not in this room")
	}
	form := parseForm(el.Child(NSData, "x"))
	if o.role == RoleModerator && form.has("muc#request_allow") {
		if !form.bool("muc#request_allow") {
			return nil
		}
		target := r.nicks[form.get("muc#roomnick")]
		if target == nil {
			return stanza.NewError(stanza.ItemNotFound, "")
		}
		if target.role == RoleVisitor {
			target.role = RoleParticipant
			r.broadcastPresence(target, &presOpts{}, nil)
		}
		return nil
	}
	if o.role != RoleVisitor {
		return nil // already has voice
	}
	req := stream.NewElement(stream.NSClient, "message", "from", r.jid.String())
	x := stream.NewElement(NSData, "x", "type", "form")
	x.AddChild(stream.NewElement(NSData, "title").AddText("Voice request"))
	x.AddChild(hidden("FORM_TYPE", formRequest))
	x.AddChild(field("muc#role", "list-single", "Requested role", "participant"))
	x.AddChild(field("muc#jid", "jid-single", "User ID", o.bare.String()))
	x.AddChild(field("muc#roomnick", "text-single", "Room Nickname", o.nick))
	x.AddChild(field("muc#request_allow", "boolean", "Grant voice to this person?", "false"))
	req.AddChild(x)
	bc := newBroadcast(req)
	for _, m := range r.nicks {
		if m.role == RoleModerator {
			r.deliverOcc(bc, m)
		}
	}
	return nil
}
