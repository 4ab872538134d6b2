package c2s

import (
	"strconv"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// handleStanza checks one stanza from a bound client, stamps its 'from' and
// hands it to the router (RFC 6120 §8.1.2.1).
func (s *session) handleStanza(el *stream.Element) error {
	k := stanza.KindOf(el)
	if k == stanza.KindNone || el.Space != stream.NSClient {
		return stream.E(stream.UnsupportedStanzaType, "")
	}
	if f := el.Attr("from"); f != "" && f != s.full {
		j, err := s.srv.router.JIDs().Parse(f)
		if err != nil || !(j.Equal(s.jid) || j.Equal(s.jid.Bare())) {
			return stream.E(stream.InvalidFrom, "")
		}
	}
	el.SetAttr("from", s.full)
	to := el.Attr("to")
	if to != "" {
		if _, err := s.srv.router.JIDs().Parse(to); err != nil {
			s.reject(el, stanza.NewError(stanza.JIDMalformed, ""))
			return nil
		}
	}
	var presence *router.PresenceEvent
	switch k {
	case stanza.KindIQ:
		if handled := s.handleIQ(el, to); handled {
			return nil
		}
	case stanza.KindPresence:
		if to == "" {
			presence = s.ownPresence(el)
		}
	}
	s.route(k, el)
	if presence != nil {
		router.RunEvent(s.ctx, s.srv.router, &s.srv.router.Hooks().PresenceChanged, presence)
	}
	return nil
}

// route runs the UserSend hook and hands el to the router.
func (s *session) route(k stanza.Kind, el *stream.Element) {
	r := s.srv.router
	if h := &r.Hooks().UserSend; !h.Empty() {
		p := &router.Packet{Kind: k, Type: el.Attr("type"), From: s.jid, Stanza: el}
		if t := el.Attr("to"); t != "" {
			p.To, _ = r.JIDs().Parse(t)
		} else {
			p.To = s.jid.Bare()
		}
		if r.RunStanza(s.ctx, h, p) != router.Pass {
			return
		}
	}
	r.Route(s.ctx, el)
}

// reject answers el with err unless el is an error itself.
func (s *session) reject(el *stream.Element, err *stanza.Error) {
	if stanza.IsErrorType(el) {
		return
	}
	r := stanza.ErrorReply(el, err)
	r.SetAttr("to", s.full)
	s.send(r)
}

// handleIQ checks an IQ's shape (RFC 6120 §8.2.3) and answers the ones that
// belong to the stream itself. It reports whether the IQ is done.
func (s *session) handleIQ(el *stream.Element, to string) bool {
	typ := el.Attr("type")
	switch typ {
	case stanza.IQGet, stanza.IQSet:
		if el.Attr("id") == "" || el.ChildCount() != 1 {
			s.reject(el, stanza.ErrBadRequest("an IQ request needs an id and exactly one payload"))
			return true
		}
	case stanza.IQResult, stanza.TypeError:
		if el.Attr("id") == "" {
			return true // unanswerable; RFC 6120 §8.2.3 requires an id
		}
		return false
	default:
		s.reject(el, stanza.ErrBadRequest("unknown IQ type"))
		return true
	}
	if to != "" && to != s.host {
		return false
	}
	p := el.FirstChild()
	switch {
	case p.Is(stream.NSSession, "session") && typ == stanza.IQSet:
		// RFC 3921 session establishment: a no-op kept for old clients.
		r := stanza.Result(el, nil)
		r.SetAttr("from", s.host)
		s.send(r)
		return true
	case p.Is(stream.NSBind, "bind"):
		s.reject(el, stanza.NewError(stanza.NotAllowed, "resource already bound"))
		return true
	}
	return false
}

// ownPresence records broadcast presence for bare-JID routing (RFC 6121
// §4.2, §4.5): availability and priority. It returns the change to report,
// or nil when el changes nothing (a presence type that is not broadcast).
func (s *session) ownPresence(el *stream.Element) *router.PresenceEvent {
	ev := &router.PresenceEvent{JID: s.jid, Stanza: el, Session: s}
	switch el.Attr("type") {
	case "":
		prio := 0
		if p := el.ChildText(stream.NSClient, "priority"); p != "" {
			if n, err := strconv.Atoi(p); err == nil && n >= -128 && n <= 127 {
				prio = n
			}
		}
		ev.Initial = !s.available
		ev.Available, ev.Priority = true, prio
		s.available = true
		s.lastPresence = el
		s.srv.router.SetPresence(s.jid, s, true, prio)
	case stanza.PresenceUnavailable:
		s.available = false
		s.lastPresence = nil
		s.srv.router.SetPresence(s.jid, s, false, 0)
	default:
		return nil
	}
	return ev
}
