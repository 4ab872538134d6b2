package presence

import (
	"context"
	"errors"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// onUserReceive answers presence probes to a local user (RFC 6121 §4.3.2)
// and never delivers them to clients. Other presence passes on: the router
// delivers presence to a bare JID to every available resource and to a
// full JID to that resource (§8.5.2.1.1, §8.5.3.1).
func (m *Module) onUserReceive(ctx context.Context, p *router.Packet) router.Verdict {
	if p.Kind != stanza.KindPresence || p.Type != stanza.PresenceProbe {
		return router.Pass
	}
	prober := p.From
	if prober.Domainpart() == "" {
		return router.Drop
	}
	user := p.To.Bare()
	if !prober.Bare().Equal(user) {
		sctx, cancel := m.storeCtx(ctx)
		it, err := m.store.RosterItem(sctx, user.Domainpart(), user.Localpart(), prober.Bare().String())
		cancel()
		switch {
		case err != nil && !errors.Is(err, storage.ErrNotFound):
			m.metrics.storageErrors.Inc()
			m.log.Warn("roster read for probe failed", "jid", user.String(), "err", err)
			return router.Drop
		case err != nil || !hasFrom(it.Subscription):
			// §4.3.2: no subscription, no presence.
			if m.cfg.ReplyUnsubscribed {
				m.r.Route(ctx, stream.NewElement(stream.NSClient, "presence", "type", stanza.PresenceUnsubscribed,
					"from", user.String(), "to", prober.Bare().String()))
				m.metrics.probesIn.WithLabelValues("unsubscribed").Inc()
			} else {
				m.metrics.probesIn.WithLabelValues("ignored").Inc()
			}
			return router.Handled
		}
	}
	// The last presence of each available resource (of the one addressed,
	// for a probe to a full JID). With none available nothing is sent,
	// which §4.3.2 allows.
	to := prober.String()
	for _, res := range m.r.Resources(user) {
		if !res.Available || (p.To.Resourcepart() != "" && !res.JID.Equal(p.To)) {
			continue
		}
		last := m.lastPresence(res.JID.String())
		if last == nil {
			continue
		}
		m.r.Route(ctx, readdress(last, res.JID.String(), to))
	}
	m.metrics.probesIn.WithLabelValues("answered").Inc()
	return router.Handled
}
