package muc

import (
	"bytes"
	"context"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// toMarker stands for 'to' while a broadcast stanza is serialized; it is
// the value of the element's first attribute, so its first occurrence is
// in the start tag whatever the payload holds.
const toMarker = "muc-to-7b1f0c"

// broadcast is a stanza serialized once for every recipient: sessions
// that take raw bytes get it with their JID spliced in, others get el.
type broadcast struct {
	raw router.RawStanza
	el  *stream.Element
	// pkt is what the UserReceive hook sees for each recipient: one per
	// broadcast, its To set per recipient, so checking a room of N costs
	// no allocation per recipient. parsed says From is set.
	pkt    router.Packet
	parsed bool
}

// newBroadcast serializes el (which has no 'to') once.
func newBroadcast(el *stream.Element) *broadcast {
	withTo := &stream.Element{Space: el.Space, Local: el.Local, Children: el.Children,
		Attrs: make([]stream.Attr, 0, len(el.Attrs)+1)}
	withTo.Attrs = append(withTo.Attrs, stream.Attr{Local: "to", Value: toMarker})
	withTo.Attrs = append(withTo.Attrs, el.Attrs...)
	b := withTo.AppendXML(make([]byte, 0, 256), stream.NSClient)
	pat := "to='" + toMarker + "'"
	i := bytes.Index(b, []byte(pat))
	bc := &broadcast{el: el}
	bc.raw.Head = b[:i+4]
	bc.raw.Tail = b[i+4+len(toMarker):]
	bc.raw.Proto = stream.NewElement(el.Space, el.Local, "type", el.Attr("type"))
	return bc
}

// deliver hands the broadcast to one session of an occupant.
func (r *Room) deliver(bc *broadcast, s *session) {
	// The session that joined: if another took its full JID since, that
	// one has not joined (it joins afresh), and the old one's end takes the
	// occupant out (SessionClosed).
	sess := s.rs
	if sess == nil {
		var ok bool
		if sess, ok = r.svc.m.router.Lookup(s.bare, s.res); !ok {
			return
		}
	}
	if !r.admit(bc, s) {
		r.svc.m.metrics.blocked.Inc()
		return
	}
	r.svc.m.metrics.delivered.Inc()
	if rs, ok := sess.(router.RawSession); ok {
		rs.DeliverRaw(&bc.raw, s.esc)
		return
	}
	c := bc.el.ShallowCopy()
	c.SetAttr("to", s.full.String())
	sess.Deliver(c)
}

// deliverOcc hands the broadcast to every session of o.
func (r *Room) deliverOcc(bc *broadcast, o *occupant) {
	for _, s := range o.sessions {
		r.deliver(bc, s)
	}
}

// sendTo routes a one-off stanza from the room (or an occupant) to one JID.
func (r *Room) sendTo(ctx context.Context, el *stream.Element, to string) {
	el.SetAttr("to", to)
	r.svc.m.router.Route(ctx, el)
}

// admit runs the router's UserReceive hook for one recipient of a
// broadcast, as the router does for a stanza routed to a local user: a
// room hands its fan-out straight to sessions, so without this a user who
// blocked a room or an occupant (XEP-0191, the blocking module) would
// still get its traffic. The hook sees the room's stanza without 'to'
// (it is spliced in per session later), so an error a hook answers with
// has no 'from' and goes nowhere: a room wants no bounce per recipient.
// No hook answers a room stanza by routing into this room, which matters
// because r.mu is held here.
func (r *Room) admit(bc *broadcast, s *session) bool {
	h := &r.svc.m.router.Hooks().UserReceive
	if h.Empty() {
		return true
	}
	if !bc.parsed {
		bc.parsed = true
		bc.pkt.Kind = stanza.KindOf(bc.el)
		bc.pkt.Type = bc.el.Attr("type")
		bc.pkt.Stanza = bc.el
		bc.pkt.From, _ = r.svc.m.router.JIDs().Parse(bc.el.Attr("from"))
	}
	bc.pkt.To = s.full
	return r.svc.m.router.RunStanza(context.Background(), h, &bc.pkt) == router.Pass
}
