package bosh

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/c2s/framing"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// request is one HTTP request the connection manager holds.
type request struct {
	rid   int64
	resp  chan []byte // buffered: the response body, sent once (net/http's connections)
	hc    *hconn      // or the connection taken over from net/http that writes the answer
	s     *session
	timer *time.Timer
}

// newRequest is a request for rid, answered on hc (nil: through resp).
func newRequest(rid int64, hc *hconn) *request {
	if hc != nil {
		return &request{rid: rid, hc: hc}
	}
	return &request{rid: rid, resp: make(chan []byte, 1)}
}

// answer hands the response body over; it never blocks.
func (r *request) answer(b []byte) {
	if r.hc != nil {
		r.hc.answer(r, b)
		return
	}
	r.resp <- b
}

// drop answers a request that a resent one replaced: with an empty body,
// which is what its HTTP client gets if it is still listening.
func (r *request) drop() {
	if r.hc != nil {
		r.hc.answer(r, nil)
		return
	}
	close(r.resp)
}

// session is one BOSH session (XEP-0124 §7): the requests held for it, the
// output waiting for a request, and the conn its c2s session reads.
type session struct {
	h   *Handler
	sid string
	c   *conn

	mu          sync.Mutex
	host        string
	wait        time.Duration
	hold        int
	requests    int
	creationRID int64
	highest     int64           // highest rid received
	nextProc    int64           // next rid whose payload goes to the session
	early       map[int64]*body // bodies that arrived ahead of a gap
	held        []*request
	cache       map[int64][]byte // answered responses by rid, for retransmission
	pending     []byte           // elements waiting for a request
	authid      string
	terminated  bool
	cond        condError // condition for the terminate body
	streamErr   bool      // the session sent a stream error
	// the last empty request, for the polling rule
	lastEmptyRID           int64
	lastEmptyAt            time.Time
	lastEmptyAnsweredEmpty bool
	lastResponded          int64 // highest rid answered
	inactivity             *time.Timer
	split                  framing.Splitter
}

// streamHeader is what the session reads at creation and after a restart.
func (s *session) streamHeader(b *body) []byte {
	h := append([]byte(nil), "<stream:stream xmlns='"+stream.NSClient+"' xmlns:stream='"+stream.NSStream+"' to='"...)
	h = stream.EscapeAttr(h, s.host)
	h = append(h, "' version='"...)
	v := b.version
	if v == "" {
		v = "1.0"
	}
	h = stream.EscapeAttr(h, v)
	h = append(h, '\'')
	if b.lang != "" {
		h = append(h, " xml:lang='"...)
		h = stream.EscapeAttr(h, b.lang)
		h = append(h, '\'')
	}
	return append(h, '>')
}

var errQueueFull = errors.New("bosh: output queue full")

// output takes the c2s session's bytes (conn.Write).
func (s *session) output(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.terminated {
		return errors.New("bosh: session terminated")
	}
	closed := false
	s.split.Write(p, func(u framing.Unit) error {
		switch u.Kind {
		case framing.Header:
			if s.authid == "" {
				s.authid = u.ID
			}
		case framing.Close:
			closed = true
		case framing.Element:
			if len(u.Data) > 14 && string(u.Data[:14]) == "<stream:error " {
				s.streamErr = true
				s.cond = errRemoteStream
				if el, err := stream.DecodeElement(u.Data, stream.Limits{}, ""); err == nil {
					switch {
					case el.Child(stream.NSStreamErr, "host-unknown") != nil:
						s.cond = errHostUnknown
					case el.Child(stream.NSStreamErr, "system-shutdown") != nil:
						s.cond = errSystemShutdown
					}
				}
			}
			s.pending = append(s.pending, u.Data...)
		}
		return nil
	})
	if closed {
		cond := condError("")
		if s.streamErr {
			cond = s.cond
		}
		s.terminateLocked(cond)
		return nil
	}
	if len(s.pending) > s.h.cfg.MaxPendingBytes {
		s.pending = nil
		s.terminateLocked(errPolicy)
		return errQueueFull
	}
	s.flushLocked()
	return nil
}

// flushLocked answers the oldest held request with the pending output.
func (s *session) flushLocked() {
	if len(s.pending) == 0 || len(s.held) == 0 {
		return
	}
	req := s.held[0]
	s.held = s.held[1:]
	s.respondLocked(req, "", false)
	s.idleLocked()
}

// idleLocked arms the inactivity timer when no request is held.
func (s *session) idleLocked() {
	if len(s.held) > 0 || s.terminated {
		return
	}
	if s.inactivity == nil {
		s.inactivity = time.AfterFunc(s.h.cfg.Inactivity, s.inactive)
		return
	}
	s.inactivity.Reset(s.h.cfg.Inactivity)
}

func (s *session) inactive() {
	s.mu.Lock()
	if len(s.held) > 0 || s.terminated {
		s.mu.Unlock()
		return
	}
	s.terminateLocked("")
	s.mu.Unlock()
	s.h.metrics.timeouts.Inc()
	s.c.Close()
}

// respondLocked answers req with the pending output (and the creation
// attributes or a terminate condition where due).
func (s *session) respondLocked(req *request, cond condError, terminate bool) {
	if req.timer != nil {
		req.timer.Stop()
	}
	b := make([]byte, 0, 200+len(s.pending))
	b = append(b, "<body xmlns='"+NSBind+"' xmlns:xmpp='"+NSXBOSH+"' xmlns:stream='"+stream.NSStream+"'"...)
	if req.rid == s.creationRID {
		b = s.appendCreation(b)
	}
	if terminate {
		b = append(b, " type='terminate'"...)
		if cond != "" {
			b = append(b, " condition='"...)
			b = append(b, cond...)
			b = append(b, '\'')
		}
	}
	if req.rid > s.lastResponded {
		s.lastResponded = req.rid
	}
	if len(s.pending) == 0 {
		b = append(b, "/>"...)
		if req.rid == s.lastEmptyRID {
			s.lastEmptyAnsweredEmpty = true
		}
	} else {
		b = append(b, '>')
		b = append(b, s.pending...)
		b = append(b, "</body>"...)
		s.pending = nil
	}
	s.cache[req.rid] = b
	for rid := range s.cache {
		if rid <= req.rid-int64(s.requests)-1 {
			delete(s.cache, rid)
		}
	}
	req.answer(b)
}

func (s *session) appendCreation(b []byte) []byte {
	add := func(name, v string) {
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, "='"...)
		b = stream.EscapeAttr(b, v)
		b = append(b, '\'')
	}
	cfg := &s.h.cfg
	add("sid", s.sid)
	add("wait", strconv.Itoa(int(s.wait/time.Second)))
	add("hold", strconv.Itoa(s.hold))
	add("requests", strconv.Itoa(s.requests))
	add("inactivity", strconv.Itoa(int(cfg.Inactivity/time.Second)))
	add("polling", strconv.Itoa(int(cfg.Polling/time.Second)))
	add("ver", "1.11")
	add("from", s.host)
	add("ack", strconv.FormatInt(s.creationRID, 10))
	if s.authid != "" {
		add("authid", s.authid)
	}
	add("xmpp:version", "1.0")
	add("xmpp:restartlogic", "true")
	return b
}

// terminateLocked ends the BOSH session: every held request is answered
// with terminate (the first one carrying what is pending), and the sid is
// forgotten. The c2s session is ended by the caller (conn.Close).
func (s *session) terminateLocked(cond condError) {
	if s.terminated {
		return
	}
	s.terminated = true
	if s.inactivity != nil {
		s.inactivity.Stop()
	}
	for _, req := range s.held {
		s.respondLocked(req, cond, true)
	}
	s.held = nil
	s.cond = cond
	s.h.forget(s.sid)
}

// end is called when the c2s session closed its conn.
func (s *session) end(cond condError) {
	s.mu.Lock()
	s.terminateLocked(cond)
	s.mu.Unlock()
}

// receive takes one request body, which arrived on hc (nil: through
// net/http). It returns the request to wait on, or a response to send at
// once.
func (s *session) receive(b *body, hc *hconn) (*request, []byte) {
	s.mu.Lock()
	if s.terminated {
		s.mu.Unlock()
		return nil, terminateBody(errItemNotFound)
	}
	if resp, ok := s.cache[b.rid]; ok {
		// A retransmission (XEP-0124 §14.3): the same answer again.
		s.mu.Unlock()
		s.h.metrics.retransmits.Inc()
		return nil, resp
	}
	if b.rid > s.highest+int64(s.requests) || b.rid <= s.highest-int64(s.requests)-1 {
		// Outside the window (XEP-0124 §14.2).
		return s.fail(errItemNotFound)
	}
	if _, waiting := s.early[b.rid]; waiting || b.rid < s.nextProc {
		// A request the client sent before and never got an answer for
		// (its connection broke, or the page reloaded): it takes the place
		// of the old one; its payload was already taken.
		for i, req := range s.held {
			if req.rid == b.rid {
				req.timer.Stop()
				s.held = append(s.held[:i], s.held[i+1:]...)
				req.drop()
				break
			}
		}
	} else {
		if b.rid-s.lastResponded > int64(s.requests) && b.typ != "terminate" {
			// More new requests than 'requests' and none answered
			// (XEP-0124 §12, overactivity).
			return s.fail(errPolicy)
		}
		if s.hold == 0 && b.empty && !b.restart && b.typ == "" && len(s.held) == 0 {
			// Two consecutive empty requests, the first answered with
			// nothing, closer than 'polling' (XEP-0124 §12). Only a polling
			// session (hold=0) can spin so: with hold>=1 an empty request is
			// held, and a client that sends its poll while another request
			// was being answered is not polling too often.
			if b.rid == s.lastEmptyRID+1 && s.lastEmptyAnsweredEmpty && time.Since(s.lastEmptyAt) < s.h.cfg.Polling {
				return s.fail(errPolicy)
			}
		}
		if b.empty && !b.restart && b.typ == "" {
			s.lastEmptyRID, s.lastEmptyAt, s.lastEmptyAnsweredEmpty = b.rid, time.Now(), false
		}
		// New, possibly filling a gap: bodies go to the session in rid
		// order (XEP-0124 §9).
		s.highest = max(s.highest, b.rid)
		s.early[b.rid] = b
		for {
			nb, ok := s.early[s.nextProc]
			if !ok {
				break
			}
			delete(s.early, s.nextProc)
			s.nextProc++
			s.process(nb)
		}
	}
	req := newRequest(b.rid, hc)
	req.s = s
	req.timer = time.AfterFunc(s.wait, func() { s.expire(req) })
	s.held = append(s.held, req)
	if s.inactivity != nil {
		s.inactivity.Stop()
	}
	for len(s.held) > s.hold {
		// XEP-0124 §10: more than 'hold' requests: answer the oldest.
		old := s.held[0]
		s.held = s.held[1:]
		s.respondLocked(old, "", false)
	}
	s.flushLocked()
	s.mu.Unlock()
	return req, nil
}

// fail terminates with cond and returns the terminate body; s.mu is held
// and released.
func (s *session) fail(cond condError) (*request, []byte) {
	s.terminateLocked(cond)
	s.mu.Unlock()
	s.h.metrics.errors.WithLabelValues(string(cond)).Inc()
	s.c.Close()
	return nil, terminateBody(cond)
}

// process hands one body's content to the c2s session, in rid order.
func (s *session) process(b *body) {
	if b.restart {
		// XEP-0206 §5: a restart is a new stream header.
		s.c.feed(s.streamHeader(b))
	}
	if len(b.payload) > 0 {
		s.c.feed(b.payload)
	}
	if b.typ == "terminate" {
		s.c.feed([]byte("</stream:stream>"))
	}
}

// expire answers a request held for 'wait' with an empty body.
func (s *session) expire(req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.held {
		if r == req {
			s.held = append(s.held[:i], s.held[i+1:]...)
			s.respondLocked(req, "", false)
			s.idleLocked()
			return
		}
	}
}

// abandon forgets a request whose HTTP client went away.
func (s *session) abandon(req *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.held {
		if r == req {
			req.timer.Stop()
			s.held = append(s.held[:i], s.held[i+1:]...)
			s.idleLocked()
			return
		}
	}
}

// terminateBody is the answer for a request that ends or has no session.
func terminateBody(cond condError) []byte {
	b := []byte("<body xmlns='" + NSBind + "' type='terminate'")
	if cond != "" {
		b = append(b, " condition='"...)
		b = append(b, cond...)
		b = append(b, '\'')
	}
	return append(b, "/>"...)
}
