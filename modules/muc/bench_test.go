package muc

import (
	"context"
	"fmt"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// plainSession is a session as c2s was before router.RawSession: every
// Deliver serializes the element into the session's queue.
type plainSession struct{ buf []byte }

func (s *plainSession) Deliver(el *stream.Element) bool {
	if len(s.buf) > 32<<10 {
		s.buf = s.buf[:0] // the writer drained it
	}
	s.buf = el.AppendXML(s.buf, stream.NSClient)
	return true
}

func (s *plainSession) Kick(*stream.Error) {}

// rawSession also takes pre-serialized stanzas, as c2s does now.
type rawSession struct{ plainSession }

func (s *rawSession) DeliverRaw(st *router.RawStanza, to []byte) bool {
	if len(s.buf) > 32<<10 {
		s.buf = s.buf[:0]
	}
	s.buf = append(s.buf, st.Head...)
	s.buf = append(s.buf, to...)
	s.buf = append(s.buf, st.Tail...)
	return true
}

// benchRoom fills a room with n occupants bound to sessions made by mk.
func benchRoom(b *testing.B, n int, mk func() router.Session) (*Room, *occupant) {
	s := fuzzService(b)
	r := s.emptyRoom("bench")
	r.cfg = s.defaultConfig()
	r.cfg.MaxUsers = n
	for i := range n {
		full, err := jid.Parse(fmt.Sprintf("user%d@localhost/res-%d", i, i))
		if err != nil {
			b.Fatal(err)
		}
		rs := mk()
		if err := s.m.router.Bind(full, rs, router.ConflictReplace); err != nil {
			b.Fatal(err)
		}
		sess := newSession(full)
		sess.rs = rs
		o := &occupant{nick: fmt.Sprintf("User %d", i), bare: full.Bare(), role: RoleParticipant,
			sessions: []*session{sess}}
		r.nicks[o.nick] = o
		r.byFull[full.String()] = o
	}
	return r, r.nicks["User 0"]
}

// BenchmarkRoomBroadcast measures one groupchat message to a room of n
// occupants, with sessions that take pre-serialized bytes (raw, what c2s
// does) and with sessions that serialize each delivery (element, what a
// per-occupant router.Deliver costs).
func BenchmarkRoomBroadcast(b *testing.B) {
	msg, err := stream.DecodeElement([]byte(`<message to='bench@conference.localhost' type='groupchat' id='a1b2c3d4'>`+
		`<body>Hello everyone, this is a message of typical length for a live-stream chat.</body>`+
		`<active xmlns='http://jabber.org/protocol/chatstates'/></message>`), stream.DefaultLimits(), stream.NSClient)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{25, 3000} {
		for _, mode := range []struct {
			name string
			mk   func() router.Session
			hook bool // a UserReceive hook is registered, as with the blocking module
		}{
			{"raw", func() router.Session { return &rawSession{} }, false},
			{"element", func() router.Session { return &plainSession{} }, false},
			{"raw+hook", func() router.Session { return &rawSession{} }, true},
		} {
			b.Run(fmt.Sprintf("occupants=%d/%s", n, mode.name), func(b *testing.B) {
				r, o := benchRoom(b, n, mode.mk)
				if mode.hook {
					// What every delivery then pays besides the hook's own
					// check (the blocking module's is BenchmarkReceiveCheck):
					// running the chain on the broadcast's one Packet.
					r.svc.m.router.Hooks().UserReceive.Add(0, "bench", func(_ context.Context, p *router.Packet) router.Verdict {
						if p.To.Localpart() == "" {
							return router.Drop
						}
						return router.Pass
					})
				}
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					r.mu.Lock()
					if e := r.groupchat(ctx, msg, o); e != nil {
						b.Fatal(e)
					}
					r.mu.Unlock()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/delivery")
			})
		}
	}
}
