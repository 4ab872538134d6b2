package c2s

import (
	"time"

	"github.com/meerkat-xmpp/meerkat/router"
)

var _ router.RawSession = (*session)(nil)

// DeliverRaw implements router.RawSession: it queues a stanza serialized
// once for many recipients, with this session's escaped JID spliced in as
// 'to', so a room's fan-out copies bytes instead of serializing per
// occupant.
func (s *session) DeliverRaw(st *router.RawStanza, to []byte) bool {
	ok := s.out.enqueue(func(b []byte) []byte {
		b = append(b, st.Head...)
		b = append(b, to...)
		return append(b, st.Tail...)
	})
	if ok {
		s.srv.metrics.out(st.Proto)
		return true
	}
	s.out.mu.Lock()
	slow := s.out.overflow
	s.out.mu.Unlock()
	if slow {
		s.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		s.srv.metrics.slowConsumers.Inc()
	}
	return false
}
