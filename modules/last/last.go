package last

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// query returns <query xmlns='jabber:iq:last' seconds='s'>text</query>.
func query(d time.Duration, text string) *stream.Element {
	s := max(int64(d/time.Second), 0)
	return stream.NewElement(NS, "query", "seconds", strconv.FormatInt(s, 10)).AddText(text)
}

// handleServer answers a query to the server with its uptime (XEP-0012 §5).
func (m *Module) handleServer(_ context.Context, iq *router.IQ) (*stream.Element, error) {
	if iq.Type != stanza.IQGet {
		return nil, stanza.ErrBadRequest("")
	}
	m.metrics.queries.WithLabelValues("server").Inc()
	return query(time.Since(m.started), ""), nil
}

// handleAccount answers a query to a user's bare JID (XEP-0012 §3).
func (m *Module) handleAccount(ctx context.Context, iq *router.IQ) (*stream.Element, error) {
	if iq.Type != stanza.IQGet {
		return nil, stanza.ErrBadRequest("")
	}
	m.metrics.queries.WithLabelValues("account").Inc()
	user := iq.To
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	ok, err := m.allowed(ctx, iq.From.Bare(), user)
	if err != nil {
		return nil, err
	}
	if !ok {
		m.metrics.forbidden.Inc()
		return nil, stanza.NewError(stanza.Forbidden, "")
	}
	for _, x := range m.router.Resources(user) {
		if x.Available {
			return query(0, ""), nil
		}
	}
	at, status, err := m.store.LastActivity(ctx, user.Domainpart(), user.Localpart())
	if errors.Is(err, storage.ErrNotFound) {
		// Never logged out since this server started keeping track.
		return nil, stanza.ErrServiceUnavailable()
	}
	if err != nil {
		return nil, err
	}
	return query(time.Since(at), status), nil
}

// allowed reports whether requester may learn user's last activity: it is
// the user, or the user's roster gives it a subscription to the user's
// presence (from or both).
func (m *Module) allowed(ctx context.Context, requester, user jid.JID) (bool, error) {
	if requester.Equal(user) {
		return true, nil
	}
	if m.roster == nil {
		return false, nil
	}
	item, err := m.roster.RosterItem(ctx, user.Domainpart(), user.Localpart(), requester.String())
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return item.Subscription == storage.SubFrom || item.Subscription == storage.SubBoth, nil
}

func accountKey(j jid.JID) string { return j.Localpart() + "@" + j.Domainpart() }

// onPresence records a logout when a resource goes unavailable, with the
// status it gave, and remembers the status for when the session closes.
func (m *Module) onPresence(ctx context.Context, ev *router.PresenceEvent) {
	if ev.Available {
		m.mu.Lock()
		delete(m.status, ev.Session)
		m.mu.Unlock()
		return
	}
	var status string
	if ev.Stanza != nil {
		status = ev.Stanza.ChildText(stream.NSClient, "status")
	}
	m.mu.Lock()
	m.status[ev.Session] = status
	m.mu.Unlock()
	m.record(ctx, ev.JID, status)
}

// onSessionClosed records the logout of a session that was not available
// when it closed (an available one went through onPresence just before,
// with the unavailable presence sent on its behalf). The status is that of
// its last unavailable presence, if it sent one.
func (m *Module) onSessionClosed(ctx context.Context, ev *router.SessionEvent) {
	m.mu.Lock()
	status := m.status[ev.Session]
	delete(m.status, ev.Session)
	m.mu.Unlock()
	if ev.LastPresence == nil {
		m.record(ctx, ev.JID, status)
	}
}

func (m *Module) onSessionOpened(_ context.Context, ev *router.SessionEvent) {
	m.mu.Lock()
	delete(m.removed, accountKey(ev.JID))
	m.mu.Unlock()
}

// onUserRemoved remembers a deleted account for a while, so that its
// sessions, which close after the deletion, do not store anything anew.
func (m *Module) onUserRemoved(_ context.Context, ev *router.UserEvent) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, at := range m.removed {
		if now.Sub(at) > removedTTL {
			delete(m.removed, k)
		}
	}
	m.removed[ev.Username+"@"+ev.Host] = now
}

// record stores a logout of full's account now.
func (m *Module) record(ctx context.Context, full jid.JID, status string) {
	m.mu.Lock()
	_, gone := m.removed[accountKey(full)]
	m.mu.Unlock()
	if gone {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := m.store.SetLastActivity(ctx, full.Domainpart(), full.Localpart(), time.Now(), status); err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "storing last activity failed",
			slog.String("jid", full.String()), slog.Any("err", err))
	}
}
