package mob

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// XEP-0045 namespaces.
const (
	NSMUC      = "http://jabber.org/protocol/muc"
	NSMUCUser  = NSMUC + "#user"
	NSMUCOwner = NSMUC + "#owner"
	NSData     = "jabber:x:data"
)

// MUCOptions size the muc scenario: Rooms × Occupants sessions, each room
// receiving RatePerRoom groupchat messages per second.
type MUCOptions struct {
	Rooms       int
	Occupants   int
	RatePerRoom float64
	Duration    time.Duration
	Drain       time.Duration
	Service     string // the MUC service's domain, e.g. conference.localhost
	RoomPrefix  string // rooms are RoomPrefix<N>@Service
	Body        int
	Senders     int
	Presence    bool // initial presence before joining
	// RoomsPerUser lets each session occupy this many rooms (default 1),
	// so a shape with more occupants than the machine allows sockets (the
	// seed's 2000 × 25) keeps its fan-out with fewer sessions. Each
	// session's rooms are distinct.
	RoomsPerUser int
	// Name reports the scenario under another name (the seed presets).
	Name string
}

// SeedMUCBig is the seed's first shape: one room of 3000 occupants at 10
// messages/s, scaled by scale (occupants).
func SeedMUCBig(scale float64) MUCOptions {
	return MUCOptions{Rooms: 1, Occupants: scaled(3000, scale), RatePerRoom: 10, Name: "seed-muc-big"}
}

// SeedMUCMany is the seed's second shape: 2000 rooms of 25 occupants at
// 0.6 messages/s per room, scaled by scale (rooms).
func SeedMUCMany(scale float64) MUCOptions {
	return MUCOptions{Rooms: scaled(2000, scale), Occupants: 25, RatePerRoom: 0.6, Name: "seed-muc-many"}
}

func scaled(n int, scale float64) int { return max(1, int(float64(n)*scale+0.5)) }

type room struct {
	jid       string
	occupants []*Session
	joined    atomic.Int64
}

// MUC creates (or joins) Rooms rooms, fills each with Occupants sessions,
// and sends groupchat messages at RatePerRoom per room; every occupant's
// copy, the sender's echo included, is one timed delivery.
func MUC(ctx context.Context, cfg *Config, o MUCOptions) (*Result, error) {
	if o.Rooms < 1 || o.Occupants < 1 || o.RatePerRoom <= 0 || o.Duration <= 0 || o.Service == "" {
		return nil, errors.New("muc: want --rooms ≥ 1, --occupants ≥ 1, --room-rate > 0, --duration > 0 and --service")
	}
	name := o.Name
	if name == "" {
		name = "muc"
	}
	r, err := newRun(cfg, name, o.Presence)
	if err != nil {
		return nil, err
	}
	k := max(o.RoomsPerUser, 1)
	slots := o.Rooms * o.Occupants
	if k > o.Rooms {
		return nil, fmt.Errorf("muc: --rooms-per-user %d is more than the %d rooms", k, o.Rooms)
	}
	// Occupant slot i (room i/Occupants) is held by session i mod n; with
	// n ≥ Occupants a session's slots lie in k different rooms.
	n := (slots + k - 1) / k
	if n < o.Occupants {
		return nil, fmt.Errorf("muc: %d sessions cannot fill rooms of %d occupants; lower --rooms-per-user", n, o.Occupants)
	}
	rooms := make([]*room, o.Rooms)
	for i := range rooms {
		rooms[i] = &room{jid: o.RoomPrefix + strconv.Itoa(i) + "@" + o.Service, occupants: make([]*Session, o.Occupants)}
	}
	sessions := make([]*Session, n)
	r.begin(ctx)
	r.setPhase("login")
	r.loginAll(ctx, n, cfg.Account, func(i int, s *Session) { sessions[i] = s })

	// Owners first, one per room, so every room exists and is unlocked
	// before anyone else joins; then everyone else. A session reads its own
	// stream while it joins, so its slots are joined one after another, and
	// it is served only once all of them are.
	owner := func(i int) bool { return i%o.Occupants == 0 }
	join := func(phase string, first bool) {
		r.setPhase(phase)
		r.forEach(ctx, n, func(si int) {
			for i := si; i < slots; i += n {
				s := sessions[si]
				if s == nil || owner(i) != first {
					continue
				}
				rm := rooms[i/o.Occupants]
				if err := s.joinRoom(rm.jid, s.Acct.User, cfg.Timeout); err != nil {
					r.fail("join", err)
					s.Close()
					sessions[si] = nil
					return
				}
				rm.occupants[i%o.Occupants] = s
				rm.joined.Add(1)
			}
		})
	}
	join("create", true)
	if o.Occupants > 1 {
		join("join", false)
	}
	for _, s := range sessions {
		if s != nil {
			r.serve(s, r.onMessage)
		}
	}
	r.settle(ctx, 500*time.Millisecond, 2*time.Minute)
	r.setupDone()
	// Senders: each room's occupants in turn.
	var active []*room
	for _, rm := range rooms {
		var occ []*Session
		for _, s := range rm.occupants {
			if s != nil {
				occ = append(occ, s)
			}
		}
		if len(occ) > 0 {
			rm.occupants = occ
			active = append(active, rm)
		}
	}
	rate := o.RatePerRoom * float64(o.Rooms)
	if len(active) > 0 && ctx.Err() == nil {
		r.setPhase("muc")
		body := makeBody(o.Body)
		r.sendLoops(ctx, rate, o.Duration, o.Senders, func(buf []byte, g int64) (*Session, []byte, int) {
			rm := active[g%int64(len(active))]
			turn := g / int64(len(active))
			from := rm.occupants[turn%int64(len(rm.occupants))]
			buf = append(buf, "<message xmlns='jabber:client' type='groupchat' to='"...)
			buf = stream.EscapeAttr(buf, rm.jid)
			buf = append(buf, "' id='g"...)
			buf = strconv.AppendInt(buf, g, 10)
			buf = append(buf, "'><body>"...)
			buf = append(buf, body...)
			buf = append(buf, "</body>"...)
			return from, appendStamp(buf, g, "</message>"), int(rm.joined.Load())
		})
		r.drain(ctx, o.Drain)
	}
	r.end()
	r.closeAll(sessions, cfg.Timeout)
	return r.result(Params{Users: n, Concurrency: cfg.Concurrency, Ramp: cfg.Ramp, Rooms: o.Rooms,
		Occupants: o.Occupants, RoomsPerUser: k, Rate: rate, DurationSecond: o.Duration.Seconds()}), ctx.Err()
}

// forEach runs do(0..n-1) at the ramp rate, Concurrency at a time.
func (r *run) forEach(ctx context.Context, n int, do func(j int)) {
	work := make(chan int)
	done := make(chan struct{})
	workers := min(r.cfg.Concurrency, n)
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range work {
				do(j)
			}
		}()
	}
	pace(ctx, NewPacer(time.Now(), r.cfg.Ramp, int64(n)), func(i int64) bool {
		select {
		case work <- int(i):
			return true
		case <-ctx.Done():
			return false
		}
	}, nil)
	close(work)
	for range workers {
		<-done
	}
}

// joinRoom enters room with nick (XEP-0045 §7.2) and, when the join
// created the room (status 201), unlocks it with the instant-room form
// (§10.1.2). It reads the stream itself, so call it before serve.
func (s *Session) joinRoom(room, nick string, timeout time.Duration) error {
	s.conn.SetReadDeadline(time.Now().Add(timeout))
	defer s.conn.SetReadDeadline(time.Time{})
	full := room + "/" + nick
	var buf []byte
	buf = append(buf, "<presence xmlns='jabber:client' to='"...)
	buf = stream.EscapeAttr(buf, full)
	buf = append(buf, "'><x xmlns='"+NSMUC+"'><history maxstanzas='0'/></x></presence>"...)
	if err := s.conn.Write(buf); err != nil {
		return err
	}
	for {
		el, err := s.conn.Next()
		if err != nil {
			return err
		}
		if el.Local != "presence" || el.Attr("from") != full {
			continue // the room's roster, its subject, anything else
		}
		if el.Attr("type") == "error" {
			return stanzaError(el)
		}
		created := false
		self := false
		for st := range el.Child(NSMUCUser, "x").Elements() {
			if st.Local == "status" {
				switch st.Attr("code") {
				case "201":
					created = true
				case "110":
					self = true
				}
			}
		}
		if !self && el.Child(NSMUCUser, "x") == nil {
			continue
		}
		if !created {
			return nil
		}
		buf = append(buf[:0], "<iq xmlns='jabber:client' type='set' id='create' to='"...)
		buf = stream.EscapeAttr(buf, room)
		buf = append(buf, "'><query xmlns='"+NSMUCOwner+"'><x xmlns='"+NSData+"' type='submit'/></query></iq>"...)
		if err := s.conn.Write(buf); err != nil {
			return err
		}
		if _, err := s.expectIQ("create"); err != nil {
			return fmt.Errorf("instant room: %w", err)
		}
		return nil
	}
}
