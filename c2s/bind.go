package c2s

import (
	"errors"
	"log/slog"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// handleBind binds a resource (RFC 6120 §7). The JID comes from the
// authenticated identity only; the stream's 'from' is never trusted.
func (s *session) handleBind(iq, b *stream.Element) error {
	res := b.ChildText(stream.NSBind, "resource")
	// An empty <resource/> (as mellium's client sends) asks us to pick one.
	if res == "" {
		res = newID()
	}
	full, err := jid.New(s.username, s.host, res)
	if err != nil || full.Resourcepart() == "" {
		s.send(stanza.ErrorReply(iq, stanza.ErrBadRequest("invalid resource")))
		return nil
	}
	if err := s.srv.router.Bind(full, s, s.lis.conflict); err != nil {
		if errors.Is(err, router.ErrConflict) {
			s.send(stanza.ErrorReply(iq, stanza.NewError(stanza.Conflict, "")))
			return nil
		}
		return err
	}
	s.jid, s.full = full, full.String()
	s.state = stateEstablished
	s.lastInput = time.Now()
	s.srv.metrics.sessions.WithLabelValues(s.lis.transport).Inc()
	s.dec.SetLimits(s.lis.cfg.Limits)
	j := stream.NewElement(stream.NSBind, "jid")
	j.AddText(s.full)
	reply := stream.NewElement(stream.NSClient, "iq", "type", stanza.IQResult, "id", iq.Attr("id"))
	reply.AddChild(stream.NewElement(stream.NSBind, "bind").AddChild(j))
	s.send(reply)
	s.logAt(slog.LevelDebug, "resource bound")
	router.RunEvent(s.ctx, s.srv.router, &s.srv.router.Hooks().SessionOpened, &router.SessionEvent{JID: full, Session: s})
	return nil
}
