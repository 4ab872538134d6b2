package roster

import (
	"context"
	"errors"
	"slices"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// handleIQ answers roster gets and sets (RFC 6121 §2.2–§2.5). The server
// manages a roster on behalf of its own account only: a request about
// anyone else's roster is forbidden (§2.1.5).
func (m *Module) handleIQ(ctx context.Context, iq *router.IQ) (*stream.Element, error) {
	if !iq.Payload.Is(NS, "query") {
		return nil, stanza.ErrBadRequest("expected <query xmlns='" + NS + "'/>")
	}
	user := iq.From.Bare()
	if !user.Equal(iq.To) {
		return nil, stanza.NewError(stanza.Forbidden, "a roster belongs to its own account only")
	}
	if iq.Type == stanza.IQGet {
		return m.get(ctx, iq.From, iq.Payload)
	}
	return m.set(ctx, iq.From, iq.Payload)
}

// get answers a roster get (§2.2) with the whole roster, or, when the
// client's cached version is current, with an empty result (XEP-0237 §3).
// The requesting resource becomes an interested resource.
func (m *Module) get(ctx context.Context, from jid.JID, q *stream.Element) (*stream.Element, error) {
	user := from.Bare()
	sctx, cancel := m.storeCtx(ctx)
	items, ver, err := m.store.RosterItems(sctx, user.Domainpart(), user.Localpart())
	cancel()
	if err != nil {
		m.storageFailed(ctx, "roster get", user, err)
		return nil, stanza.NewError(stanza.InternalServerError, "")
	}
	m.setInterested(from)
	if m.cfg.Versioning && ver != "" {
		if cv := q.Attr("ver"); cv != "" && cv == ver {
			return nil, nil
		}
	}
	res := m.query(ver)
	for _, it := range items {
		if !hidden(it) {
			res.AddChild(itemElement(it))
		}
	}
	return res, nil
}

// itemRequest is a checked roster set.
type itemRequest struct {
	contact jid.JID
	remove  bool
	name    string
	groups  []string
}

// parseSet checks a roster set against RFC 6121 §2.3.3 and §2.5.3.
func (m *Module) parseSet(user jid.JID, q *stream.Element) (itemRequest, error) {
	var req itemRequest
	var item *stream.Element
	n := 0
	for c := range q.Elements() {
		if !c.Is(NS, "item") {
			return req, stanza.ErrBadRequest("a roster set holds <item/> elements only")
		}
		item = c
		n++
	}
	if n != 1 {
		return req, stanza.ErrBadRequest("a roster set holds exactly one item")
	}
	raw := item.Attr("jid")
	if raw == "" {
		return req, stanza.ErrBadRequest("the item has no jid")
	}
	contact, err := m.r.JIDs().Parse(raw)
	if err != nil || contact.Resourcepart() != "" {
		return req, stanza.NewError(stanza.JIDMalformed, "the item's jid is not a valid bare JID")
	}
	if contact.Equal(user) {
		return req, stanza.NewError(stanza.NotAllowed, "the user's own JID cannot be a roster item")
	}
	req.contact = contact
	switch item.Attr("subscription") {
	case "remove":
		req.remove = true
		return req, nil
	case "", storage.SubNone, storage.SubTo, storage.SubFrom, storage.SubBoth:
		// §2.1.2.5: a client cannot set the state; the server ignores it.
	default:
		return req, stanza.ErrBadRequest("unknown subscription value")
	}
	req.name = item.Attr("name")
	if len(req.name) > m.cfg.MaxNameLength {
		return req, stanza.NewError(stanza.NotAcceptable, "the item name is too long")
	}
	for g := range item.Elements() {
		if !g.Is(NS, "group") {
			continue // unknown extensions are not stored
		}
		name := g.Text()
		switch {
		case name == "":
			return req, stanza.NewError(stanza.NotAcceptable, "a group name cannot be empty")
		case len(name) > m.cfg.MaxGroupLength:
			return req, stanza.NewError(stanza.NotAcceptable, "a group name is too long")
		case slices.Contains(req.groups, name):
			return req, stanza.ErrBadRequest("duplicate group")
		}
		req.groups = append(req.groups, name)
	}
	if len(req.groups) > m.cfg.MaxGroups {
		return req, stanza.NewError(stanza.NotAcceptable, "too many groups")
	}
	slices.Sort(req.groups)
	return req, nil
}

// set adds, updates (§2.3, §2.4) or removes (§2.5) one item.
func (m *Module) set(ctx context.Context, from jid.JID, q *stream.Element) (*stream.Element, error) {
	user := from.Bare()
	req, err := m.parseSet(user, q)
	if err != nil {
		return nil, err
	}
	if req.remove {
		return nil, m.remove(ctx, user, req.contact)
	}
	unlock := m.lock(user)
	it, found, err := m.load(ctx, user, req.contact)
	if err == nil && !found {
		var n int
		if n, err = m.count(ctx, user); err == nil && n >= m.cfg.MaxItems {
			unlock()
			m.metrics.full.Inc()
			return nil, stanza.NewError(stanza.ResourceConstraint, "the roster is full")
		}
	}
	var ver string
	if err == nil {
		it.Name, it.Groups = req.name, req.groups
		ver, err = m.save(ctx, user, it, false)
	}
	unlock()
	if err != nil {
		m.storageFailed(ctx, "roster set", user, err)
		return nil, stanza.NewError(stanza.InternalServerError, "")
	}
	m.push(user, itemElement(it), ver)
	return nil, nil
}

// remove deletes an item and ends both directions of the subscription
// (§2.5.2): unsubscribe if the user was subscribed to the contact or had
// asked, unsubscribed if the contact was subscribed to the user or had
// asked, and unavailable presence to a contact that loses the user's.
func (m *Module) remove(ctx context.Context, user, contact jid.JID) error {
	unlock := m.lock(user)
	it, found, err := m.load(ctx, user, contact)
	var ver string
	if err == nil && found {
		ver, err = m.save(ctx, user, it, true)
	}
	unlock()
	switch {
	case err != nil && !isNotFound(err):
		m.storageFailed(ctx, "roster remove", user, err)
		return stanza.NewError(stanza.InternalServerError, "")
	case !found || err != nil:
		return stanza.NewError(stanza.ItemNotFound, "")
	}
	m.push(user, removedElement(contact.String()), ver)
	s := stateOf(it)
	if s.HasTo() || s.PendingOut {
		m.route(ctx, subscriptionStanza("unsubscribe", user, contact))
	}
	if s.HasFrom() || s.PendingIn {
		m.route(ctx, subscriptionStanza("unsubscribed", user, contact))
	}
	if s.HasFrom() {
		m.sendUnavailable(ctx, user, contact)
	}
	return nil
}
