package presence

import (
	"context"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// onPresenceChanged broadcasts a session's presence (RFC 6121 §4.2.2,
// §4.4.2, §4.5.2) to the contacts subscribed to it, probes the contacts the
// user is subscribed to at initial presence (§4.2.2), tells directed-
// presence peers of unavailable (§4.6.3), and gives a newly available
// resource the presence of the user's other available resources. The
// user's own resources got the stanza itself from the session's routing.
// One roster read serves the whole broadcast.
func (m *Module) onPresenceChanged(ctx context.Context, ev *router.PresenceEvent) {
	if ev.Stanza == nil {
		return
	}
	peers, skip := m.record(ev.JID, ev.Session, ev.Available, ev.Stanza)
	if skip {
		return
	}
	user := ev.JID.Bare()
	sctx, cancel := m.storeCtx(ctx)
	items, _, err := m.store.RosterItems(sctx, user.Domainpart(), user.Localpart())
	cancel()
	if err != nil {
		m.metrics.storageErrors.Inc()
		m.log.Warn("roster read for presence broadcast failed", "jid", user.String(), "err", err)
		// The directed-presence peers are still owed their unavailable.
		items = nil
	}
	m.metrics.broadcasts.Inc()
	from := ev.JID.String()
	sent := 0
	for i := range items {
		if hasFrom(items[i].Subscription) {
			m.sendCopy(ctx, ev.Stanza, from, items[i].JID)
			sent++
		}
	}
	var subscribers map[string]bool
	if len(peers) > 0 {
		subscribers = make(map[string]bool, len(items))
		for i := range items {
			subscribers[items[i].JID] = hasFrom(items[i].Subscription)
		}
	}
	for _, p := range peers {
		if pj, err := m.r.JIDs().Parse(p); err == nil && subscribers[pj.Bare().String()] {
			continue // the broadcast above reached it
		}
		m.sendCopy(ctx, ev.Stanza, from, p)
		sent++
	}
	m.metrics.recipients.Add(float64(sent))
	if !ev.Available || !ev.Initial {
		return
	}
	bare := user.String()
	for i := range items {
		if hasTo(items[i].Subscription) {
			m.r.Route(ctx, stream.NewElement(stream.NSClient, "presence", "type", stanza.PresenceProbe,
				"from", bare, "to", items[i].JID))
			m.metrics.probesSent.Inc()
		}
	}
	if ev.Session != nil {
		m.sendOwnResources(ev.JID, ev.Session)
	}
}

// sendOwnResources gives the newly available resource full the current
// presence of the user's other available resources.
func (m *Module) sendOwnResources(full jid.JID, s router.Session) {
	to := full.String()
	for _, res := range m.r.Resources(full.Bare()) {
		if !res.Available || res.JID.Equal(full) {
			continue
		}
		if last := m.lastPresence(res.JID.String()); last != nil {
			s.Deliver(readdress(last, res.JID.String(), to))
		}
	}
}

// sendCopy routes a copy of el from the user's resource to one recipient.
func (m *Module) sendCopy(ctx context.Context, el *stream.Element, from, to string) {
	m.r.Route(ctx, readdress(el, from, to))
}

func hasFrom(sub string) bool { return sub == storage.SubFrom || sub == storage.SubBoth }
func hasTo(sub string) bool   { return sub == storage.SubTo || sub == storage.SubBoth }
