package muc

import (
	"context"
	"slices"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// iq handles an IQ to the room or to an occupant.
func (r *Room) iq(ctx context.Context, el *stream.Element, from, to jid.JID) {
	if to.Resourcepart() != "" {
		r.occupantIQ(ctx, el, from, to)
		return
	}
	if !isRequest(el) {
		return
	}
	payload := el.FirstChild()
	if payload == nil || el.ChildCount() != 1 {
		r.svc.m.router.Bounce(ctx, el, stanza.ErrBadRequest(""))
		return
	}
	res, err := r.handleIQ(ctx, el, payload, from, to)
	if err != nil {
		r.svc.m.router.Bounce(ctx, el, err)
		return
	}
	r.svc.m.router.Route(ctx, stanza.Result(el, res))
}

func (r *Room) handleIQ(ctx context.Context, el, payload *stream.Element, from, to jid.JID) (*stream.Element, *stanza.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return nil, stanza.NewError(stanza.ItemNotFound, "")
	}
	o := r.byFull[from.String()]
	get := el.Attr("type") == stanza.IQGet
	switch {
	case payload.Is(NSDiscoInf, "query") && get:
		return r.discoInfo(payload.Attr("node"))
	case payload.Is(NSDiscoIt, "query") && get:
		return r.discoItems(o)
	case payload.Is(NSPing, "ping") && get:
		return nil, nil
	case payload.Is(NSAdmin, "query") && get:
		return r.adminList(from, o, payload)
	case payload.Is(NSAdmin, "query"):
		return nil, r.adminSet(ctx, from, o, payload)
	case payload.Is(NSOwner, "query") && get:
		return r.configForm(from)
	case payload.Is(NSOwner, "query"):
		return nil, r.ownerSet(ctx, from, o, payload)
	case payload.Is(NSRegister, "query") && get:
		return r.registerForm(from)
	case payload.Is(NSRegister, "query"):
		return nil, r.register(ctx, from, payload)
	}
	return nil, stanza.ErrServiceUnavailable()
}

// adminList answers a request for an affiliation or role list
// (XEP-0045 §8.5, §9.3, §9.5, §10.5, §10.8).
func (r *Room) adminList(from jid.JID, o *occupant, q *stream.Element) (*stream.Element, *stanza.Error) {
	it := q.Child(NSAdmin, "item")
	if it == nil {
		return nil, stanza.ErrBadRequest("")
	}
	res := stream.NewElement(NSAdmin, "query")
	if a := it.Attr("affiliation"); a != "" {
		want, ok := ParseAffiliation(a)
		if !ok || want == AffNone {
			return nil, stanza.ErrBadRequest("unknown affiliation")
		}
		if r.affOf(from.Bare().String()) < AffAdmin {
			return nil, errForbidden()
		}
		bares := make([]string, 0)
		for bare, e := range r.affs {
			if e.aff == want {
				bares = append(bares, bare)
			}
		}
		slices.Sort(bares)
		for _, b := range bares {
			x := stream.NewElement(NSAdmin, "item", "affiliation", want.String(), "jid", b)
			if e := r.affs[b]; e.nick != "" {
				x.SetAttr("nick", e.nick)
			}
			if reason := r.affs[b].reason; reason != "" {
				x.AddChild(stream.NewElement(NSAdmin, "reason").AddText(reason))
			}
			res.AddChild(x)
		}
		return res, nil
	}
	want, ok := ParseRole(it.Attr("role"))
	if !ok || want == RoleNone {
		return nil, stanza.ErrBadRequest("unknown role")
	}
	if o == nil || o.role != RoleModerator {
		return nil, errForbidden()
	}
	nicks := make([]string, 0)
	for n, x := range r.nicks {
		if x.role == want {
			nicks = append(nicks, n)
		}
	}
	slices.Sort(nicks)
	for _, n := range nicks {
		x := r.nicks[n]
		item := stream.NewElement(NSAdmin, "item", "nick", n, "role", want.String(),
			"affiliation", r.affOf(x.bare.String()).String())
		if len(x.sessions) > 0 {
			item.SetAttr("jid", x.sessions[0].full.String())
		}
		res.AddChild(item)
	}
	return res, nil
}

// change is one checked item of an admin set.
type change struct {
	occ    *occupant // role change
	role   Role
	bare   string // affiliation change
	aff    Affiliation
	reason string
}

// adminSet changes roles or affiliations (XEP-0045 §8, §9, §10). Every
// item is checked before any is applied.
func (r *Room) adminSet(ctx context.Context, from jid.JID, o *occupant, q *stream.Element) *stanza.Error {
	actorAff := r.affOf(from.Bare().String())
	actorRole := RoleNone
	if o != nil {
		actorRole = o.role
	}
	var changes []change
	owners := r.owners()
	for it := range q.Elements() {
		if !it.Is(q.Space, "item") {
			continue
		}
		reason := it.ChildText(q.Space, "reason")
		if a := it.Attr("affiliation"); a != "" {
			aff, ok := ParseAffiliation(a)
			if !ok {
				return stanza.ErrBadRequest("unknown affiliation")
			}
			j, err := r.svc.m.router.JIDs().Parse(it.Attr("jid"))
			if err != nil {
				if n := r.nicks[it.Attr("nick")]; n != nil {
					j = n.bare
				} else {
					return stanza.NewError(stanza.JIDMalformed, "")
				}
			}
			bare := j.Bare().String()
			if r.svc.m.admins[bare] {
				return errNotAllowed()
			}
			cur := r.affOf(bare)
			if e := CheckAffiliation(actorAff, cur, aff, owners); e != nil {
				return e
			}
			if cur == AffOwner && aff != AffOwner {
				owners--
			} else if cur != AffOwner && aff == AffOwner {
				owners++
			}
			changes = append(changes, change{bare: bare, aff: aff, reason: reason})
			continue
		}
		role, ok := ParseRole(it.Attr("role"))
		if !ok {
			return stanza.ErrBadRequest("an item needs a role or an affiliation")
		}
		target := r.nicks[it.Attr("nick")]
		if target == nil {
			return stanza.NewError(stanza.ItemNotFound, "no such occupant")
		}
		if e := CheckRole(actorAff, actorRole, r.affOf(target.bare.String()), target.role, role); e != nil {
			return e
		}
		changes = append(changes, change{occ: target, role: role, reason: reason})
	}
	if len(changes) == 0 {
		return stanza.ErrBadRequest("no items")
	}
	actorNick := ""
	if o != nil {
		actorNick = o.nick
	}
	for _, c := range changes {
		if c.occ != nil {
			r.applyRole(c.occ, c.role, c.reason, actorNick)
		} else {
			r.applyAff(ctx, c.bare, c.aff, c.reason, actorNick)
		}
	}
	return nil
}

func itemExtras(reason, actor string) func(*stream.Element) {
	return func(it *stream.Element) {
		if actor != "" {
			it.AddChild(stream.NewElement(NSUser, "actor", "nick", actor))
		}
		if reason != "" {
			it.AddChild(stream.NewElement(NSUser, "reason").AddText(reason))
		}
	}
}

func (r *Room) applyRole(o *occupant, role Role, reason, actor string) {
	if r.nicks[o.nick] != o || o.role == role {
		return
	}
	if role == RoleNone {
		r.svc.m.metrics.kicks.Inc()
		r.remove(o, &presOpts{codes: []string{codeKicked}, item: itemExtras(reason, actor)})
		r.removeIfEmpty()
		return
	}
	o.role = role
	r.broadcastPresence(o, &presOpts{item: itemExtras(reason, actor)}, nil)
}

func (r *Room) applyAff(ctx context.Context, bare string, aff Affiliation, reason, actor string) {
	r.setAff(bare, aff, reason)
	r.saveAff(ctx, bare)
	for _, o := range r.nicks {
		if o.bare.String() != bare {
			continue
		}
		switch {
		case aff == AffOutcast:
			r.remove(o, &presOpts{codes: []string{codeBanned}, item: itemExtras(reason, actor)})
		case r.cfg.MembersOnly && aff < AffMember:
			r.remove(o, &presOpts{codes: []string{codeAffChange}, item: itemExtras(reason, actor)})
		default:
			o.role = DefaultRole(aff, r.cfg.Moderated)
			r.broadcastPresence(o, &presOpts{item: itemExtras(reason, actor)}, nil)
		}
	}
	r.removeIfEmpty()
}
