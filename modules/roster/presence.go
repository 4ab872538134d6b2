package roster

import (
	"context"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// maxStoredRequest caps the bytes of a subscription request kept for later
// delivery; a larger one is kept as a bare <presence type='subscribe'/>.
const maxStoredRequest = 4 << 10

// onUserSend takes the subscription presence a user sends (RFC 6121
// §3.1.2, §3.2.2, §3.3.2, §3.4): it updates the user's roster, pushes the
// change, and routes the stanza to the contact from the user's bare JID.
func (m *Module) onUserSend(ctx context.Context, p *router.Packet) router.Verdict {
	if p.Kind != stanza.KindPresence {
		return router.Pass
	}
	ev, ok := EventFor(p.Type, false)
	if !ok {
		return router.Pass
	}
	user := p.From.Bare()
	if p.Stanza.Attr("to") == "" || p.To.Bare().Equal(user) {
		// A subscription needs a contact; a user is always subscribed to itself.
		m.r.Bounce(ctx, p.Stanza, stanza.ErrBadRequest("a subscription request needs a contact 'to'"))
		return router.Handled
	}
	contact := p.To.Bare()
	m.metrics.subscription(ev)
	m.process(ctx, user, contact, ev, p.Stanza)
	return router.Handled
}

// onUserReceive takes the subscription presence a contact sends to a local
// user (RFC 6121 §3.1.3, §3.1.6, §3.2.3, §3.3.3): it updates the user's
// roster, pushes the change, delivers the stanza to the user's available
// resources where Appendix A.3 says so, and answers on the user's behalf
// where the RFC does.
func (m *Module) onUserReceive(ctx context.Context, p *router.Packet) router.Verdict {
	if p.Kind != stanza.KindPresence {
		return router.Pass
	}
	ev, ok := EventFor(p.Type, true)
	if !ok {
		return router.Pass
	}
	user, contact := p.To.Bare(), p.From.Bare()
	if contact.Domainpart() == "" || contact.Equal(user) {
		return router.Drop
	}
	m.metrics.subscription(ev)
	m.process(ctx, user, contact, ev, p.Stanza)
	return router.Handled
}

// process runs one subscription event for user's item about contact.
func (m *Module) process(ctx context.Context, user, contact jid.JID, ev Event, el *stream.Element) {
	// The stanza as it travels on: from the sender's bare JID (§3.1.2) to
	// the receiver's bare JID, its payload (status, nick) kept.
	out := el.ShallowCopy()
	if ev.Inbound() {
		out.SetAttr("from", contact.String())
		out.SetAttr("to", user.String())
	} else {
		out.SetAttr("from", user.String())
		out.SetAttr("to", contact.String())
	}

	unlock := m.lock(user)
	it, found, err := m.load(ctx, user, contact)
	if err != nil {
		unlock()
		m.storageFailed(ctx, "subscription", user, err)
		m.r.Bounce(ctx, el, stanza.NewError(stanza.InternalServerError, ""))
		return
	}
	if !found && ev == InSubscribe && !m.r.UserExists(ctx, user) {
		// RFC 6121 §8.5.1: no such user. The request is answered with
		// unsubscribed and nothing is stored.
		unlock()
		m.route(ctx, subscriptionStanza(stanza.PresenceUnsubscribed, user, contact))
		return
	}
	wasHidden := found && hidden(it)
	o := Transition(stateOf(it), ev)
	var ver string
	if o.Changed {
		if !found {
			// Pending requests count too: one contact costs at most one item.
			n, cerr := m.count(ctx, user)
			if cerr == nil && n >= m.cfg.MaxItems {
				unlock()
				m.metrics.full.Inc()
				m.r.Bounce(ctx, el, stanza.NewError(stanza.ResourceConstraint, "the roster is full"))
				return
			}
		}
		it = withState(it, o.State)
		if ev == InSubscribe && o.State.PendingIn {
			it.InStanza = storedRequest(out, contact, user)
		}
		// An item that only held a request the contact took back goes away.
		del := wasHidden && o.State.IsZero()
		ver, err = m.save(ctx, user, it, del)
		if err != nil {
			unlock()
			m.storageFailed(ctx, "subscription", user, err)
			m.r.Bounce(ctx, el, stanza.NewError(stanza.InternalServerError, ""))
			return
		}
		unlock()
		switch {
		case del:
			// Never shown to the user: nothing to push.
		case !hidden(it) || !wasHidden && found:
			m.push(user, itemElement(it), ver)
		}
	} else {
		unlock()
	}

	if o.Forward {
		if ev.Inbound() {
			m.r.Deliver(ctx, out, user)
		} else {
			m.route(ctx, out)
		}
	}
	if o.AutoSubscribed {
		m.route(ctx, subscriptionStanza(stanza.PresenceSubscribed, user, contact))
	}
	if o.SendPresence {
		// The presence module answers a probe from a subscriber with the
		// presence of each available resource (§3.1.5, §4.3.2).
		m.route(ctx, subscriptionStanza(stanza.PresenceProbe, contact, user))
	}
	if o.SendUnavailable {
		m.sendUnavailable(ctx, user, contact)
	}
}

// storedRequest serializes the request kept while it is pending (§3.1.3),
// bounded so a flood of large requests costs little.
func storedRequest(el *stream.Element, contact, user jid.JID) []byte {
	b := el.AppendXML(nil, stream.NSClient)
	if len(b) > maxStoredRequest {
		b = subscriptionStanza(stanza.PresenceSubscribe, contact, user).AppendXML(nil, stream.NSClient)
	}
	return b
}

// subscriptionStanza builds <presence type=typ from=from to=to/>.
func subscriptionStanza(typ string, from, to jid.JID) *stream.Element {
	return stream.NewElement(stream.NSClient, "presence", "type", typ, "from", from.String(), "to", to.String())
}

// route hands el to the router (UserReceive runs for local recipients).
func (m *Module) route(ctx context.Context, el *stream.Element) { m.r.Route(ctx, el) }

// sendUnavailable tells contact that each of user's available resources
// is gone for it (§3.2.2, §3.3.3).
func (m *Module) sendUnavailable(ctx context.Context, user, contact jid.JID) {
	for _, res := range m.r.Resources(user) {
		if res.Available {
			m.route(ctx, stream.NewElement(stream.NSClient, "presence", "type", stanza.PresenceUnavailable,
				"from", res.JID.String(), "to", contact.String()))
		}
	}
}

// onPresenceChanged delivers the subscription requests still waiting for
// an answer to a resource that has just become available (§3.1.3: the
// request is presented at every login until answered).
func (m *Module) onPresenceChanged(ctx context.Context, ev *router.PresenceEvent) {
	if !ev.Available || !ev.Initial || ev.Session == nil {
		return
	}
	user := ev.JID.Bare()
	sctx, cancel := m.storeCtx(ctx)
	items, _, err := m.store.RosterItems(sctx, user.Domainpart(), user.Localpart())
	cancel()
	if err != nil {
		m.storageFailed(ctx, "pending requests", user, err)
		return
	}
	for _, it := range items {
		if !it.PendingIn {
			continue
		}
		el := pendingRequest(it, user)
		el.SetAttr("to", user.String())
		ev.Session.Deliver(el)
	}
}

// pendingRequest returns the stored request of it, or a plain one when
// none was kept or it does not parse.
func pendingRequest(it storage.RosterItem, user jid.JID) *stream.Element {
	if len(it.InStanza) > 0 {
		el, err := stream.DecodeElement(it.InStanza, stream.DefaultLimits(), stream.NSClient)
		if err == nil && el.Is(stream.NSClient, "presence") && el.Attr("type") == stanza.PresenceSubscribe {
			el.SetAttr("from", it.JID)
			return el
		}
	}
	return stream.NewElement(stream.NSClient, "presence", "type", stanza.PresenceSubscribe, "from", it.JID,
		"to", user.String())
}
