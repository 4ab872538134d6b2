package roster

import (
	"context"
	"strconv"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// stateOf returns the subscription state kept in it.
func stateOf(it storage.RosterItem) State {
	s := State{Sub: it.Subscription, PendingOut: it.Ask, PendingIn: it.PendingIn, PreApproved: it.PreApproved}
	if s.Sub == "" {
		s.Sub = storage.SubNone
	}
	return s
}

// withState returns it carrying s; InStanza is dropped once nothing is
// pending in.
func withState(it storage.RosterItem, s State) storage.RosterItem {
	it.Subscription, it.Ask, it.PendingIn, it.PreApproved = s.Sub, s.PendingOut, s.PendingIn, s.PreApproved
	if !s.PendingIn {
		it.InStanza = nil
	}
	return it
}

// hidden reports whether it exists only because the contact asked for a
// subscription the user has not answered: the user never added the
// contact, so roster results and pushes leave it out (RFC 6121 §3.1.3 puts
// the request, not a roster item, in front of the user).
func hidden(it storage.RosterItem) bool {
	return it.PendingIn && !it.Ask && !it.PreApproved && it.Name == "" && len(it.Groups) == 0 &&
		(it.Subscription == "" || it.Subscription == storage.SubNone)
}

// itemElement renders it as RFC 6121 §2.1.2 does.
func itemElement(it storage.RosterItem) *stream.Element {
	e := stream.NewElement(NS, "item", "jid", it.JID)
	if it.Name != "" {
		e.SetAttr("name", it.Name)
	}
	sub := it.Subscription
	if sub == "" {
		sub = storage.SubNone
	}
	e.SetAttr("subscription", sub)
	if it.Ask {
		e.SetAttr("ask", "subscribe")
	}
	if it.PreApproved {
		e.SetAttr("approved", "true")
	}
	for _, g := range it.Groups {
		e.AddChild(stream.NewElement(NS, "group").AddText(g))
	}
	return e
}

// removedElement is the item of a push for a removed contact (§2.5.2).
func removedElement(contact string) *stream.Element {
	return stream.NewElement(NS, "item", "jid", contact, "subscription", "remove")
}

// query wraps items in a <query/>, with the version when versioning is on.
func (m *Module) query(ver string) *stream.Element {
	q := stream.NewElement(NS, "query")
	if m.cfg.Versioning && ver != "" {
		q.SetAttr("ver", ver)
	}
	return q
}

// push sends one roster push (RFC 6121 §2.1.6) to every interested
// resource of user: each bound session that fetched the roster.
func (m *Module) push(user jid.JID, item *stream.Element, ver string) {
	q := m.query(ver).AddChild(item)
	var buf [8]router.Resource
	list := append(buf[:0], m.r.Resources(user)...)
	m.mu.Lock()
	n := 0
	for _, res := range list {
		if m.interested[res.JID.String()] == res.Session && res.Session != nil {
			list[n] = res
			n++
		}
	}
	m.mu.Unlock()
	for _, res := range list[:n] {
		iq := stream.NewElement(stream.NSClient, "iq", "type", stanza.IQSet,
			"id", "push"+strconv.FormatUint(m.pushID.Add(1), 36), "to", res.JID.String())
		iq.AddChild(q)
		res.Session.Deliver(iq)
		m.metrics.pushes.Inc()
	}
}

// load returns the item for contact in user's roster; found is false when
// there is none.
func (m *Module) load(ctx context.Context, user, contact jid.JID) (it storage.RosterItem, found bool, err error) {
	sctx, cancel := m.storeCtx(ctx)
	defer cancel()
	it, err = m.store.RosterItem(sctx, user.Domainpart(), user.Localpart(), contact.String())
	switch {
	case err == nil:
		return it, true, nil
	case isNotFound(err):
		return storage.RosterItem{JID: contact.String(), Subscription: storage.SubNone}, false, nil
	}
	return it, false, err
}

// count returns how many items user's roster holds.
func (m *Module) count(ctx context.Context, user jid.JID) (int, error) {
	sctx, cancel := m.storeCtx(ctx)
	defer cancel()
	items, _, err := m.store.RosterItems(sctx, user.Domainpart(), user.Localpart())
	return len(items), err
}

// save stores it (or deletes it when del) and returns the new version.
func (m *Module) save(ctx context.Context, user jid.JID, it storage.RosterItem, del bool) (string, error) {
	sctx, cancel := m.storeCtx(ctx)
	defer cancel()
	if del {
		return m.store.DeleteRosterItem(sctx, user.Domainpart(), user.Localpart(), it.JID)
	}
	return m.store.SetRosterItem(sctx, user.Domainpart(), user.Localpart(), it)
}
