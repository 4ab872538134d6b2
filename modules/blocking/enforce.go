package blocking

import (
	"context"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// exempt reports whether a stanza between a and b is never blocked: within
// one account, or between an account and its own server.
func exempt(a, b jid.JID) bool {
	if a.Domainpart() != b.Domainpart() {
		return false
	}
	al, bl := a.Localpart(), b.Localpart()
	return al == bl || (al == "" && a.Resourcepart() == "") || (bl == "" && b.Resourcepart() == "")
}

// onReceive is the UserReceive hook: p.To is a local account. A stanza
// from a JID the recipient blocks is answered as XEP-0191 §3.3 says. A
// stanza from a local user to a JID that user blocks is dropped too: it
// did not come through UserSend (a module sent it on the user's behalf,
// such as a presence broadcast), and blocking works both ways.
func (m *Module) onReceive(ctx context.Context, p *router.Packet) router.Verdict {
	from, to := p.From, p.To
	if from.Domainpart() == "" || exempt(from, to) {
		return router.Pass
	}
	if m.listOf(ctx, keyOf(to)).matchJID(from) {
		m.metrics.blocked(inbound, p.Kind)
		switch {
		case p.Kind == stanza.KindPresence, stanza.IsErrorType(p.Stanza):
		case p.Kind == stanza.KindIQ && p.Type != stanza.IQGet && p.Type != stanza.IQSet:
		default:
			// Messages and IQ requests get service-unavailable, so the user
			// looks offline (§3.3).
			m.reply(ctx, p, stanza.ErrServiceUnavailable())
		}
		return router.Handled
	}
	if from.Localpart() != "" && m.router.IsLocal(from.Domainpart()) &&
		m.listOf(ctx, keyOf(from)).matchJID(to) {
		m.metrics.blocked(outbound, p.Kind)
		return router.Drop
	}
	return router.Pass
}

// onSend is the UserSend hook: a user's client sends to a JID the user
// blocks. Messages and IQ requests get not-acceptable with <blocked/>
// (XEP-0191 §3.3); presence and replies are dropped.
func (m *Module) onSend(ctx context.Context, p *router.Packet) router.Verdict {
	if p.Stanza.Attr("to") == "" || exempt(p.From, p.To) {
		return router.Pass
	}
	if !m.listOf(ctx, keyOf(p.From)).matchJID(p.To) {
		return router.Pass
	}
	m.metrics.blocked(outbound, p.Kind)
	switch {
	case p.Kind == stanza.KindPresence, stanza.IsErrorType(p.Stanza):
	case p.Kind == stanza.KindIQ && p.Type != stanza.IQGet && p.Type != stanza.IQSet:
	default:
		m.reply(ctx, p, &stanza.Error{
			Type: stanza.Cancel, Condition: stanza.NotAcceptable, Extra: stream.NewElement(NSErrors, "blocked"),
		})
	}
	return router.Handled
}

// reply answers p's stanza with e. The error goes straight to a local
// sender: routing it would run UserReceive, which stops stanzas between
// users who block each other, the error included.
func (m *Module) reply(ctx context.Context, p *router.Packet, e *stanza.Error) {
	el := stanza.ErrorReply(p.Stanza, e)
	if m.router.IsLocal(p.From.Domainpart()) {
		m.router.Deliver(ctx, el, p.From)
		return
	}
	m.router.Route(ctx, el)
}
