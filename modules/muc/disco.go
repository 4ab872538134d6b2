package muc

import (
	"context"
	"strconv"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Room features of XEP-0045 §15.3 and the self-ping optimization of
// XEP-0410.
const featureSelfPing = NS + "#self-ping-optimization"

// serviceIQ answers IQs to the service domain itself (XEP-0045 §6.1, §6.3).
func (s *service) serviceIQ(ctx context.Context, el *stream.Element, from jid.JID) {
	if !isRequest(el) {
		return
	}
	payload := el.FirstChild()
	var res *stream.Element
	var e *stanza.Error
	switch {
	case payload == nil || el.ChildCount() != 1:
		e = stanza.ErrBadRequest("")
	case el.Attr("type") != stanza.IQGet:
		e = stanza.ErrServiceUnavailable()
	case payload.Is(NSDiscoInf, "query") && payload.Attr("node") == "":
		res = stream.NewElement(NSDiscoInf, "query")
		res.AddChild(stream.NewElement(NSDiscoInf, "identity", "category", "conference", "type", "text", "name", "Chatrooms"))
		for _, f := range []string{NSDiscoInf, NSDiscoIt, NS, NSPing, featureSelfPing} {
			res.AddChild(stream.NewElement(NSDiscoInf, "feature", "var", f))
		}
	case payload.Is(NSDiscoIt, "query") && payload.Attr("node") == "":
		res = stream.NewElement(NSDiscoIt, "query")
		for _, r := range s.rooms.All() {
			r.mu.Lock()
			if r.cfg.Public && !r.locked && !r.gone {
				name := r.cfg.Name
				if name == "" {
					name = r.name
				}
				res.AddChild(stream.NewElement(NSDiscoIt, "item", "jid", r.jid.String(), "name", name))
			}
			r.mu.Unlock()
		}
	case payload.Is(NSPing, "ping"):
	default:
		e = stanza.ErrServiceUnavailable()
	}
	if e != nil {
		s.m.router.Bounce(ctx, el, e)
		return
	}
	s.m.router.Route(ctx, stanza.Result(el, res))
}

// discoInfo describes the room: identity, features and the XEP-0128
// muc#roominfo form. r.mu is held.
func (r *Room) discoInfo(node string) (*stream.Element, *stanza.Error) {
	if node != "" {
		return nil, stanza.NewError(stanza.ItemNotFound, "")
	}
	c := r.cfg
	name := c.Name
	if name == "" {
		name = r.name
	}
	q := stream.NewElement(NSDiscoInf, "query")
	q.AddChild(stream.NewElement(NSDiscoInf, "identity", "category", "conference", "type", "text", "name", name))
	pick := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	for _, f := range []string{
		NS, NSPing, featureSelfPing, NSRegister, NSDiscoInf, NSDiscoIt,
		pick(c.Public, "muc_public", "muc_hidden"),
		pick(c.Persistent, "muc_persistent", "muc_temporary"),
		pick(c.MembersOnly, "muc_membersonly", "muc_open"),
		pick(c.Moderated, "muc_moderated", "muc_unmoderated"),
		pick(c.Whois == whoisAnyone, "muc_nonanonymous", "muc_semianonymous"),
		pick(c.Password != "", "muc_passwordprotected", "muc_unsecured"),
	} {
		q.AddChild(stream.NewElement(NSDiscoInf, "feature", "var", f))
	}
	x := stream.NewElement(NSData, "x", "type", "result")
	x.AddChild(hidden("FORM_TYPE", formInfo))
	x.AddChild(field("muc#roominfo_description", "", "Description", c.Description))
	x.AddChild(field("muc#roominfo_occupants", "", "Number of occupants", strconv.Itoa(len(r.nicks))))
	x.AddChild(field("muc#roominfo_subject", "", "Subject", r.subject))
	x.AddChild(field("muc#roominfo_subjectmod", "", "Occupants may change the subject", boolStr(c.ChangeSubject)))
	x.AddChild(field("muc#roomconfig_roomname", "", "Name", name))
	x.AddChild(field(fMaxHist, "", "Maximum history fetch", strconv.Itoa(c.HistoryLength)))
	if c.Lang != "" {
		x.AddChild(field("muc#roominfo_lang", "", "Language", c.Lang))
	}
	q.AddChild(x)
	return q, nil
}

// discoItems lists the occupants to occupants of an open, semi-anonymous
// or non-anonymous room; others get an empty list (XEP-0045 §6.5).
func (r *Room) discoItems(o *occupant) (*stream.Element, *stanza.Error) {
	q := stream.NewElement(NSDiscoIt, "query")
	if o == nil || r.cfg.Whois != whoisAnyone && o.role != RoleModerator {
		return q, nil
	}
	for n := range r.nicks {
		q.AddChild(stream.NewElement(NSDiscoIt, "item", "jid", r.occupantJID(n)))
	}
	return q, nil
}
