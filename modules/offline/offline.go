package offline

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// StampLayout is the XEP-0082 DateTime profile used for delay stamps:
// always UTC, with milliseconds.
const StampLayout = "2006-01-02T15:04:05.000Z"

// decision is what the module does with a message no resource could take.
type decision uint8

const (
	store  decision = iota // keep it for later delivery
	refuse                 // not kept: the sender gets service-unavailable
	drop                   // not kept and not worth an error
)

// classify applies XEP-0160 §3 to a normal or chat message (the router only
// runs the Offline hook for those two types):
//
//   - a XEP-0334 <no-store/> hint asks the server not to keep the message
//     even for a while: it is not stored, and as for any message a server
//     does not store, the sender learns it with service-unavailable
//     (RFC 6121 §8.5.2.2.1);
//   - a message with no payload at all, or only XEP-0085 chat states (and a
//     <thread/>), is dropped silently: a "composing" notification for
//     someone who is not there means nothing, and an error for it would
//     only be noise;
//   - anything else (a body, a subject, or any extension payload, such as
//     an encrypted message, a receipt or a file offer) is stored.
func classify(el *stream.Element) decision {
	payload := false
	for c := range el.Elements() {
		switch {
		case c.Space == NSHints && c.Local == "no-store":
			return refuse
		case c.Space == NSChatStates:
		case c.Space == el.Space && c.Local == "thread":
		default:
			payload = true
		}
	}
	if !payload {
		return drop
	}
	return store
}

// onOffline is the Offline hook: store the message or decide its fate.
func (m *Module) onOffline(ctx context.Context, p *router.Packet) router.Verdict {
	if p.Kind != stanza.KindMessage {
		return router.Pass
	}
	switch classify(p.Stanza) {
	case drop:
		return router.Drop
	case refuse:
		return router.Pass // the router answers service-unavailable
	}
	bare := p.To.Bare()
	msg := storage.OfflineMessage{
		Stamp:  time.Now().UTC(),
		From:   p.Stanza.Attr("from"),
		Stanza: p.Stanza.AppendXML(nil, stream.NSClient),
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	err := m.store.StoreOffline(sctx, bare.Domainpart(), bare.Localpart(), msg, m.cfg.MaxMessages)
	cancel()
	switch {
	case errors.Is(err, storage.ErrLimit):
		// XEP-0160 §2 step 3: the queue is full.
		m.metrics.rejected.Inc()
		m.router.Bounce(ctx, p.Stanza, &stanza.Error{
			Type: stanza.Cancel, Condition: stanza.ServiceUnavailable, Text: "the recipient's offline storage is full",
		})
		return router.Handled
	case err != nil:
		m.log.LogAttrs(ctx, slog.LevelError, "storing an offline message failed",
			slog.String("jid", bare.String()), slog.Any("err", err))
		return router.Pass // the sender gets service-unavailable
	}
	m.metrics.stored.Inc()
	// The recipient may have come online between the router's look at its
	// resources and the store: hand the queue over now rather than at the
	// next login.
	for _, x := range m.router.Resources(bare) {
		if x.Available && x.Priority >= 0 {
			m.deliver(ctx, x.JID, x.Session)
			break
		}
	}
	return router.Handled
}

// onPresence delivers the queue when a resource sends initial presence with
// a non-negative priority (XEP-0160 §2 step 5).
func (m *Module) onPresence(ctx context.Context, ev *router.PresenceEvent) {
	if !ev.Available || !ev.Initial || ev.Priority < 0 || ev.Session == nil {
		return
	}
	m.deliver(ctx, ev.JID, ev.Session)
}

// deliver sends the stored messages of full's account to s, oldest first,
// each with a delay stamp, and deletes the ones s took. When s stops taking
// messages (it is closing or its queue is full) the rest stay stored.
func (m *Module) deliver(ctx context.Context, full jid.JID, s router.Session) {
	bare := full.Bare()
	host, user := bare.Domainpart(), bare.Localpart()
	mu := m.lock(bare)
	mu.Lock()
	defer mu.Unlock()
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	msgs, err := m.store.OfflineMessages(sctx, host, user)
	if err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "reading offline messages failed",
			slog.String("jid", bare.String()), slog.Any("err", err))
		return
	}
	if len(msgs) == 0 {
		return
	}
	var last int64
	n := 0
	for _, msg := range msgs {
		el, err := decodeStored(msg.Stanza)
		if err != nil {
			// Unreadable (written by a build with other limits?): it can
			// never be delivered, so it goes with the delivered ones.
			m.log.LogAttrs(ctx, slog.LevelWarn, "dropping an unreadable offline message",
				slog.String("jid", bare.String()), slog.Int64("id", msg.ID), slog.Any("err", err))
			last = msg.ID
			continue
		}
		el.AddChild(Delay(host, msg.Stamp))
		if !s.Deliver(el) {
			break
		}
		last = msg.ID
		n++
	}
	m.metrics.delivered.Add(float64(n))
	if last == 0 {
		return
	}
	if err := m.store.DeleteOffline(sctx, host, user, last); err != nil {
		m.log.LogAttrs(ctx, slog.LevelError, "deleting delivered offline messages failed",
			slog.String("jid", bare.String()), slog.Any("err", err))
	}
}

// decodeStored parses a stored <message/>, whatever its size.
func decodeStored(b []byte) (*stream.Element, error) {
	lim := stream.DefaultLimits()
	lim.MaxStanzaBytes = max(lim.MaxStanzaBytes, len(b))
	return stream.DecodeElement(b, lim, stream.NSClient)
}

// Delay returns the XEP-0203 <delay/> element a stored message carries when
// it is delivered: from the server's domain, stamped with the time the
// server received the message (UTC, XEP-0082).
func Delay(domain string, at time.Time) *stream.Element {
	d := stream.NewElement(NSDelay, "delay", "from", domain, "stamp", at.UTC().Format(StampLayout))
	return d.AddText("Offline Storage")
}
