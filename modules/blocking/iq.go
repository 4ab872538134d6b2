package blocking

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// handleIQ answers the three requests of XEP-0191 §3: blocklist (get),
// block and unblock (set), sent by a user to their own account.
func (m *Module) handleIQ(ctx context.Context, iq *router.IQ) (*stream.Element, error) {
	if !iq.From.Bare().Equal(iq.To) {
		return nil, stanza.NewError(stanza.Forbidden, "a block list is only for its owner")
	}
	switch {
	case iq.Type == stanza.IQGet && iq.Payload.Local == "blocklist":
		return m.getList(ctx, iq)
	case iq.Type == stanza.IQSet && iq.Payload.Local == "block":
		return nil, m.block(ctx, iq)
	case iq.Type == stanza.IQSet && iq.Payload.Local == "unblock":
		return nil, m.unblock(ctx, iq)
	}
	return nil, stanza.ErrBadRequest("")
}

// getList returns the list (XEP-0191 §3.2) and marks the requesting
// resource as interested in pushes.
func (m *Module) getList(ctx context.Context, iq *router.IQ) (*stream.Element, error) {
	k := keyOf(iq.To)
	l, err := m.cache.list(ctx, k, m.load)
	if err != nil {
		return nil, err
	}
	for _, x := range m.router.Resources(iq.To) {
		if x.JID.Equal(iq.From) {
			m.cache.update(k, func(e *entry) {
				if e.interested == nil {
					e.interested = make(map[router.Session]jid.JID)
				}
				e.interested[x.Session] = x.JID
			})
			break
		}
	}
	res := stream.NewElement(NS, "blocklist")
	if l != nil {
		for _, j := range l.jids {
			res.AddChild(stream.NewElement(NS, "item", "jid", j))
		}
	}
	return res, nil
}

// items reads the jid attributes of the <item/> children of a block or
// unblock element, normalized and without duplicates.
func items(p *stream.Element) ([]string, error) {
	var out []string
	for c := range p.Elements() {
		if !c.Is(NS, "item") {
			return nil, stanza.ErrBadRequest("unexpected <" + c.Local + "/>")
		}
		j, err := jid.Parse(c.Attr("jid"))
		if err != nil || c.Attr("jid") == "" {
			return nil, stanza.NewError(stanza.JIDMalformed, "")
		}
		if s := j.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// current returns k's list, from the cache or storage. The caller holds
// userLock(k).
func (m *Module) current(ctx context.Context, k userKey) (*list, error) {
	if l, ok := m.cache.get(k); ok {
		return l, nil
	}
	return m.load(ctx, k)
}

// block handles XEP-0191 §3.3.
func (m *Module) block(ctx context.Context, iq *router.IQ) error {
	jids, err := items(iq.Payload)
	if err != nil {
		return err
	}
	if len(jids) == 0 {
		return stanza.ErrBadRequest("block at least one JID")
	}
	bare := iq.To
	k := keyOf(bare)
	old, nl, err := m.change(ctx, k, func(ctx context.Context, old *list) ([]string, error) {
		var added []string
		for _, j := range jids {
			if !old.has(j) {
				added = append(added, j)
			}
		}
		if len(added) == 0 {
			return old.all(), nil
		}
		if old.len()+len(added) > m.cfg.MaxItems {
			return nil, stanza.NewError(stanza.PolicyViolation, fmt.Sprintf("a block list holds at most %d JIDs", m.cfg.MaxItems))
		}
		if err := m.store.Block(ctx, k.domain, k.local, added); err != nil {
			return nil, err
		}
		out := append(old.all(), added...)
		slices.Sort(out)
		return out, nil
	})
	if err != nil {
		return err
	}
	m.metrics.changes.WithLabelValues("block").Inc()
	m.push(k, bare, "block", jids)
	// XEP-0191 §3.3: contacts who may see the user's presence and are now
	// blocked get unavailable presence from each available resource.
	contacts := m.contacts(ctx, k, jids, func(c jid.JID) bool { return nl.matchJID(c) && !old.matchJID(c) })
	if len(contacts) == 0 {
		return nil
	}
	for _, x := range m.router.Resources(bare) {
		if !x.Available {
			continue
		}
		for _, c := range contacts {
			m.sendPresence(ctx, stream.NewElement(stream.NSClient, "presence",
				"type", stanza.PresenceUnavailable, "from", x.JID.String(), "to", c.String()), c)
		}
	}
	return nil
}

// unblock handles XEP-0191 §3.4 and §3.5 (no items: unblock all).
func (m *Module) unblock(ctx context.Context, iq *router.IQ) error {
	jids, err := items(iq.Payload)
	if err != nil {
		return err
	}
	bare := iq.To
	k := keyOf(bare)
	old, nl, err := m.change(ctx, k, func(ctx context.Context, old *list) ([]string, error) {
		if old.len() == 0 {
			return nil, nil
		}
		if err := m.store.Unblock(ctx, k.domain, k.local, jids); err != nil {
			return nil, err
		}
		if len(jids) == 0 {
			return nil, nil
		}
		return slices.DeleteFunc(old.all(), func(j string) bool { return slices.Contains(jids, j) }), nil
	})
	if err != nil {
		return err
	}
	m.metrics.changes.WithLabelValues("unblock").Inc()
	m.push(k, bare, "unblock", jids)
	// XEP-0191 §3.4: contacts who may see the user's presence and are no
	// longer blocked get the user's current presence.
	changed := jids
	if len(changed) == 0 && old != nil {
		changed = old.jids
	}
	contacts := m.contacts(ctx, k, changed, func(c jid.JID) bool { return old.matchJID(c) && !nl.matchJID(c) })
	if len(contacts) == 0 {
		return nil
	}
	for _, p := range m.cache.presences(k) {
		for _, c := range contacts {
			el := p.ShallowCopy()
			el.SetAttr("to", c.String())
			m.sendPresence(ctx, el, c)
		}
	}
	return nil
}

// change runs write on k's list under k's lock and caches the list write
// returns (the stored list after the change). It returns the lists before
// and after.
func (m *Module) change(ctx context.Context, k userKey, write func(context.Context, *list) ([]string, error)) (old, nl *list, err error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	mu := m.cache.userLock(k)
	mu.Lock()
	defer mu.Unlock()
	if old, err = m.current(ctx, k); err != nil {
		return nil, nil, err
	}
	jids, err := write(ctx, old)
	if err != nil {
		return nil, nil, err
	}
	nl = newList(jids)
	m.cache.set(k, nl)
	return old, nl, nil
}

// push sends the change to every resource that asked for the list
// (XEP-0191 §3.3, §3.4, §3.5).
func (m *Module) push(k userKey, bare jid.JID, op string, jids []string) {
	for s, full := range m.cache.interested(k) {
		iq := stream.NewElement(stream.NSClient, "iq", "type", stanza.IQSet,
			"id", fmt.Sprintf("block-push-%d", m.pushID.Add(1)), "from", bare.String(), "to", full.String())
		p := stream.NewElement(NS, op)
		for _, j := range jids {
			p.AddChild(stream.NewElement(NS, "item", "jid", j))
		}
		s.Deliver(iq.AddChild(p))
	}
}

// contacts returns the JIDs that should hear of a change of the items
// changed: the roster contacts with a subscription to the user's presence
// (from or both) for which keep is true, or, without roster storage, the
// changed items that name a user, for which keep is true.
func (m *Module) contacts(ctx context.Context, k userKey, changed []string, keep func(jid.JID) bool) []jid.JID {
	var out []jid.JID
	if m.roster == nil {
		for _, s := range changed {
			if j, err := jid.Parse(s); err == nil && j.Localpart() != "" && keep(j) {
				out = append(out, j)
			}
		}
		return out
	}
	items, _, err := m.roster.RosterItems(ctx, k.domain, k.local)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "reading a roster failed",
			slog.String("jid", k.local+"@"+k.domain), slog.Any("err", err))
		return nil
	}
	for _, it := range items {
		if it.Subscription != storage.SubFrom && it.Subscription != storage.SubBoth {
			continue
		}
		if j, err := jid.Parse(it.JID); err == nil && keep(j) {
			out = append(out, j)
		}
	}
	return out
}

// sendPresence delivers presence the server sends on the user's behalf. A
// local contact gets it directly: the UserReceive hook would stop it, as
// it stops anything from the user to a JID they block.
func (m *Module) sendPresence(ctx context.Context, el *stream.Element, to jid.JID) {
	if m.router.IsLocal(to.Domainpart()) {
		m.router.Deliver(ctx, el, to)
		return
	}
	m.router.Route(ctx, el)
}
