package mob

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// LoginOptions size the login scenario.
type LoginOptions struct {
	Users    int  // logins to run
	Presence bool // send initial presence (and wait for its echo) before closing
}

// Login logs Users accounts in, each closing its stream right after bind,
// and reports logins/s and the login time percentiles.
func Login(ctx context.Context, cfg *Config, o LoginOptions) (*Result, error) {
	if o.Users < 1 {
		return nil, errors.New("login: --users must be ≥ 1")
	}
	r, err := newRun(cfg, "login", o.Presence)
	if err != nil {
		return nil, err
	}
	r.begin(ctx)
	r.setPhase("login")
	r.loginAll(ctx, o.Users, cfg.Account, func(_ int, s *Session) { s.Close() })
	r.setupDone()
	r.end()
	return r.result(Params{Users: o.Users, Concurrency: cfg.Concurrency, Ramp: cfg.Ramp}), ctx.Err()
}

// IdleOptions size the idle scenario.
type IdleOptions struct {
	Users  int           // sessions to hold
	Settle time.Duration // wait after the last login before reading the server's RSS
	Hold   time.Duration // then keep the sessions this long
}

// Idle holds Users authenticated sessions with initial presence; with a
// server pid it reports the server's memory per session.
func Idle(ctx context.Context, cfg *Config, o IdleOptions) (*Result, error) {
	if o.Users < 1 {
		return nil, errors.New("idle: --users must be ≥ 1")
	}
	r, err := newRun(cfg, "idle", true)
	if err != nil {
		return nil, err
	}
	sessions := make([]*Session, o.Users)
	r.begin(ctx)
	r.setPhase("login")
	r.loginAll(ctx, o.Users, cfg.Account, func(i int, s *Session) {
		sessions[i] = s
		r.serve(s, nil)
	})
	r.setPhase("settle")
	sleepCtx(ctx, o.Settle)
	r.setupDone()
	r.setPhase("hold")
	sleepCtx(ctx, o.Hold)
	r.end()
	r.closeAll(sessions, cfg.Timeout)
	return r.result(Params{Users: o.Users, Concurrency: cfg.Concurrency, Ramp: cfg.Ramp, HoldSeconds: o.Hold.Seconds()}), ctx.Err()
}

// ChatOptions size the chat scenario.
type ChatOptions struct {
	Users    int           // sessions; user i sends to user i+1 (the last to the first)
	Rate     float64       // aggregate offered messages per second
	Duration time.Duration // sending time
	Drain    time.Duration // longest wait for the last deliveries
	Body     int           // body bytes
	Senders  int           // send loops (0: one per CPU)
	Presence bool          // initial presence before sending
}

// Chat sends one-to-one messages around a ring of sessions at an offered
// rate and times each delivery.
func Chat(ctx context.Context, cfg *Config, o ChatOptions) (*Result, error) {
	if o.Users < 2 || o.Rate <= 0 || o.Duration <= 0 {
		return nil, errors.New("chat: want --users ≥ 2, --rate > 0 and --duration > 0")
	}
	r, err := newRun(cfg, "chat", o.Presence)
	if err != nil {
		return nil, err
	}
	sessions := make([]*Session, o.Users)
	r.begin(ctx)
	r.setPhase("login")
	r.loginAll(ctx, o.Users, cfg.Account, func(i int, s *Session) {
		sessions[i] = s
		r.serve(s, r.onMessage)
	})
	r.setupDone()
	var ring []*Session
	for _, s := range sessions {
		if s != nil {
			ring = append(ring, s)
		}
	}
	if len(ring) >= 2 && ctx.Err() == nil {
		r.setPhase("chat")
		body := makeBody(o.Body)
		r.sendLoops(ctx, o.Rate, o.Duration, o.Senders, func(buf []byte, g int64) (*Session, []byte, int) {
			from, to := ring[g%int64(len(ring))], ring[(g+1)%int64(len(ring))]
			buf = append(buf, "<message xmlns='jabber:client' type='chat' to='"...)
			buf = stream.EscapeAttr(buf, to.JID)
			buf = append(buf, "' id='m"...)
			buf = strconv.AppendInt(buf, g, 10)
			buf = append(buf, "'><body>"...)
			buf = append(buf, body...)
			buf = append(buf, "</body>"...)
			return from, appendStamp(buf, g, "</message>"), 1
		})
		r.drain(ctx, o.Drain)
	}
	r.end()
	r.closeAll(sessions, cfg.Timeout)
	return r.result(Params{Users: o.Users, Concurrency: cfg.Concurrency, Ramp: cfg.Ramp,
		Rate: o.Rate, DurationSecond: o.Duration.Seconds()}), ctx.Err()
}

// appendStamp closes a message with the timing child: the send time in
// Unix nanoseconds, taken as late as possible, and the sequence number.
func appendStamp(buf []byte, seq int64, tail string) []byte {
	buf = append(buf, "<mob xmlns='"+NSMob+"' seq='"...)
	buf = strconv.AppendInt(buf, seq, 10)
	buf = append(buf, "' t='"...)
	buf = strconv.AppendInt(buf, time.Now().UnixNano(), 10)
	buf = append(buf, "'/>"...)
	return append(buf, tail...)
}

func makeBody(n int) string {
	const words = "the quick brown fox jumps over the lazy dog "
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words)
	}
	return b.String()[:n]
}

// onMessage times test messages and counts message errors.
func (r *run) onMessage(_ *Session, el *stream.Element, now time.Time) {
	r.inbound.Add(1)
	if el.Local != "message" {
		return
	}
	if el.Attr("type") == "error" {
		r.fail("message", stanzaError(el))
		return
	}
	sent, _, ok := stamp(el)
	if !ok {
		if el.Child(NSMob, "mob") != nil {
			r.untimed.Add(1)
		}
		return
	}
	r.deliveryHist.Record(now.Sub(sent))
	r.received.Add(1)
}

// sendLoops runs `loops` send loops for d, together offering rate messages
// per second: loop k sends the messages g = k, k+loops, k+2·loops, ...
// build appends message g to buf and names the session to send it from
// and the deliveries it should cause.
func (r *run) sendLoops(ctx context.Context, rate float64, d time.Duration, loops int,
	build func(buf []byte, g int64) (*Session, []byte, int)) {
	if loops <= 0 {
		loops = cores()
	}
	loops = max(1, min(loops, int(rate)))
	if !r.cfg.TrafficGC {
		r.gc = holdGC(gcHeadroom()) // released by end, after the drain
	}
	r.gcTraffic0 = gcCycles()
	r.tTraffic = time.Now()
	r.cpuSetup = selfCPU()
	if r.cfg.ServerPID > 0 && r.srvErr == nil {
		r.srvSetup, r.srvErr = ReadProc(r.cfg.ServerPID)
	}
	// The schedule ends at d; the grace lets a loop that is a little behind
	// finish it, and whatever is still due after that counts as behind.
	sctx, cancel := context.WithDeadline(ctx, r.tTraffic.Add(d+time.Second))
	defer cancel()
	var wg sync.WaitGroup
	for k := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			per := rate / float64(loops)
			limit := int64(per * d.Seconds())
			p := NewPacer(r.tTraffic, per, max(limit, 1))
			var buf []byte
			pace(sctx, p, func(i int64) bool {
				g := i*int64(loops) + int64(k)
				s, b, n := build(buf[:0], g)
				buf = b
				if err := s.Write(b); err != nil {
					if !r.closing.Load() {
						r.fail("send", err)
					}
					return true
				}
				r.expected.Add(uint64(n))
				r.sent.Add(1)
				return true
			}, r.noteLag)
			if due := p.Take(time.Now(), 0); due > 0 && ctx.Err() == nil {
				r.behind.Add(int64(due))
			}
		}()
	}
	wg.Wait()
	r.tSendEnd = time.Now()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
