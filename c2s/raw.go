package c2s

import "github.com/meerkat-xmpp/meerkat/router"

var _ router.RawSession = (*session)(nil)

// DeliverRaw implements router.RawSession: it queues a stanza serialized
// once for many recipients, with this session's escaped JID spliced in as
// 'to', so a room's fan-out copies bytes instead of serializing per
// occupant.
func (s *session) DeliverRaw(st *router.RawStanza, to []byte) bool {
	if s.out.enqueue(func(b []byte) []byte {
		b = append(b, st.Head...)
		b = append(b, to...)
		return append(b, st.Tail...)
	}) {
		s.srv.metrics.out(st.Proto)
		return true
	}
	// The queue is closing or just overflowed, so Deliver cannot queue
	// anything either; it runs the slow-consumer handling in one place.
	return s.Deliver(st.Proto)
}
