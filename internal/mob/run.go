package mob

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
)

// run is the state of one scenario run: counters, histograms and the
// sessions it holds.
type run struct {
	cfg      *Config
	scenario string
	params   loginParams
	start    time.Time

	loginHist    *Histogram
	deliveryHist *Histogram

	attempted, loginsOK, loginsFailed atomic.Int64
	online                            atomic.Int64
	sent, received, expected          atomic.Uint64
	inbound                           atomic.Uint64 // every stanza the sessions read (settle)
	untimed                           atomic.Uint64 // test messages skipped for <delay/>
	maxLag                            atomic.Int64  // ns the send loop was behind, at worst
	behind                            atomic.Int64  // sends still due when a send loop stopped
	phase                             atomic.Pointer[string]

	errMu sync.Mutex
	errs  map[string]uint64

	closing atomic.Bool
	serveWG sync.WaitGroup

	srv0, srvSetup, srvEnd  ProcStat
	srvErr                  error
	cpu0, cpuLogins         time.Duration
	cpuSetup, cpuEnd        time.Duration
	tLogins                 time.Time // every login done
	tSendEnd                time.Time // the send loops stopped
	tSetup, tTraffic, tEnd  time.Time
	reqSetup, reqEnd        uint64  // the transport's requests (RequestCounter)
	gc                      *gcHold // mob's collector, held off during the traffic
	gcTraffic0, gcInTraffic uint64  // mob's collections: count at the traffic's start, and during it
	progressDone            chan struct{}
	progressStop            context.CancelFunc
}

func newRun(cfg *Config, scenario string, presence bool) (*run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{
		cfg: cfg, scenario: scenario,
		params: loginParams{
			transport: cfg.Transport, mode: cfg.TLS, mech: cfg.Mech,
			cache: &scram.SaltedPasswordCache{}, timeout: cfg.Timeout, presence: presence,
		},
		loginHist: NewHistogram(), deliveryHist: NewHistogram(),
		errs: map[string]uint64{},
	}
	r.setPhase("starting")
	return r, nil
}

func (r *run) setPhase(p string) { r.phase.Store(&p) }

// begin takes the first server and mob readings and starts the progress
// view and the metrics.
func (r *run) begin(ctx context.Context) {
	r.start = time.Now()
	r.cpu0 = selfCPU()
	if r.cfg.ServerPID > 0 {
		r.srv0, r.srvErr = ReadProc(r.cfg.ServerPID)
	}
	if r.cfg.Metrics != nil {
		r.cfg.Metrics.attach(r)
	}
	pctx, cancel := context.WithCancel(ctx)
	r.progressStop = cancel
	r.progressDone = make(chan struct{})
	go r.progress(pctx)
}

// setupDone marks the end of the logins (and joins): the traffic phase
// starts.
func (r *run) setupDone() {
	r.tSetup = time.Now()
	r.cpuSetup = selfCPU()
	if r.cfg.ServerPID > 0 && r.srvErr == nil {
		r.srvSetup, r.srvErr = ReadProc(r.cfg.ServerPID)
	}
	r.tTraffic = r.tSetup
	if rc, ok := r.cfg.Transport.(RequestCounter); ok {
		r.reqSetup = rc.Requests()
	}
}

// end takes the last readings; call it before closing the sessions.
func (r *run) end() {
	r.tEnd = time.Now()
	r.cpuEnd = selfCPU()
	r.gc.release()
	if !r.tTraffic.IsZero() {
		r.gcInTraffic = gcCycles() - r.gcTraffic0
	}
	if rc, ok := r.cfg.Transport.(RequestCounter); ok {
		r.reqEnd = rc.Requests()
	}
	if r.cfg.ServerPID > 0 && r.srvErr == nil {
		r.srvEnd, r.srvErr = ReadProc(r.cfg.ServerPID)
	}
	r.progressStop()
	<-r.progressDone
}

const maxErrKinds = 64

// fail counts one error under a bounded kind.
func (r *run) fail(where string, err error) {
	k := where + ": " + errKind(err)
	r.errMu.Lock()
	if _, ok := r.errs[k]; !ok && len(r.errs) >= maxErrKinds {
		k = where + ": other"
	}
	r.errs[k]++
	if r.cfg.ErrorLog != nil && r.errs[k] <= 3 {
		fmt.Fprintf(r.cfg.ErrorLog, "mob: %s: %v\n", where, err)
	}
	r.errMu.Unlock()
}

func (r *run) errorCount() uint64 {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	var n uint64
	for _, c := range r.errs {
		n += c
	}
	return n
}

// errKind names an error for counting: a short, bounded string.
func errKind(err error) string {
	var se *StreamError
	var ze *StanzaError
	var ne net.Error
	var te tls.RecordHeaderError
	switch {
	case err == nil:
		return "none"
	case errors.As(err, &se):
		return "stream-error " + se.Condition
	case errors.As(err, &ze):
		return "stanza-error " + ze.Condition
	case errors.Is(err, ErrAuth):
		return "auth " + err.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no free local port (try --source-ips)"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed by server"
	case errors.As(err, &te):
		return "tls"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

// loginAll logs in the accounts 0..n-1 (acct maps an index to an
// account) at the ramp rate with at most Concurrency logins in flight,
// and hands each session to got, from a worker goroutine. It returns when
// every login has finished or ctx is done.
func (r *run) loginAll(ctx context.Context, n int, acct func(i int) Account, got func(i int, s *Session)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(r.cfg.Concurrency, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r.attempted.Add(1)
				t0 := time.Now()
				s, err := login(ctx, &r.params, acct(i))
				if err != nil {
					if ctx.Err() == nil {
						r.loginsFailed.Add(1)
						r.fail("login", err)
					}
					continue
				}
				r.loginHist.Record(time.Since(t0))
				r.loginsOK.Add(1)
				got(i, s)
			}
		}()
	}
	pace(ctx, NewPacer(time.Now(), r.cfg.Ramp, int64(n)), func(i int64) bool {
		select {
		case work <- int(i):
		case <-ctx.Done():
			return false
		}
		return true
	}, nil)
	close(work)
	wg.Wait()
	r.tLogins = time.Now()
	r.cpuLogins = selfCPU()
}

// pace calls do for each event the pacer releases (with its number, from
// 0) until the pacer is done, do returns false, or ctx ends. It sleeps
// between events, at least minSleep so high rates go in small bursts, and
// reports how late it was through lag (may be nil).
func pace(ctx context.Context, p *Pacer, do func(i int64) bool, lag func(time.Duration)) {
	const minSleep = 200 * time.Microsecond
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !p.Done() {
		now := time.Now()
		if lag != nil {
			lag(p.Lag(now))
		}
		first := p.Released()
		n := p.Take(now, 1024)
		for j := int64(0); j < int64(n); j++ {
			if !do(first + j) {
				return
			}
		}
		if n > 0 {
			continue
		}
		d := max(time.Until(p.Next()), minSleep)
		timer.Reset(d)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
}

// serve runs a session's read loop in its own goroutine until the run
// closes; a stream that ends before counts as an error.
func (r *run) serve(s *Session, h Handler) {
	r.online.Add(1)
	r.serveWG.Add(1)
	go func() {
		defer r.serveWG.Done()
		defer r.online.Add(-1)
		if err := s.serve(h, r.closing.Load); err != nil {
			r.fail("session", err)
			s.Close()
		}
	}()
}

// closeAll ends every session, a few at a time, and waits for the read
// loops (at most timeout).
func (r *run) closeAll(sessions []*Session, timeout time.Duration) {
	r.closing.Store(true)
	r.setPhase("closing")
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, s := range sessions {
		if s == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			s.Close()
			<-sem
		}()
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { r.serveWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}

// settle waits until the sessions have read nothing for quiet, or max
// passed: a room's join storm (every join is broadcast to everyone already
// in, N²/2 presences) may still be arriving when the last join is answered,
// and timing messages behind it would measure the storm, not the room.
func (r *run) settle(ctx context.Context, quiet, max time.Duration) {
	r.setPhase("settling")
	deadline := time.Now().Add(max)
	last, since := r.inbound.Load(), time.Now()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
		if n := r.inbound.Load(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}

// drain waits until received reaches expected, at most d.
func (r *run) drain(ctx context.Context, d time.Duration) {
	r.setPhase("draining")
	deadline := time.Now().Add(d)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for r.received.Load() < r.expected.Load() && time.Now().Before(deadline) {
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// cores is how many CPUs mob may use.
func cores() int { return min(runtime.GOMAXPROCS(0), runtime.NumCPU()) }

func (r *run) noteLag(d time.Duration) {
	for {
		m := r.maxLag.Load()
		if int64(d) <= m || r.maxLag.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// progress draws the one-line view every half second until ctx ends.
func (r *run) progress(ctx context.Context) {
	defer close(r.progressDone)
	if r.cfg.Progress == nil {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	lastCPU, lastT := selfCPU(), time.Now()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprint(r.cfg.Progress, "\r\033[K")
			return
		case now := <-t.C:
			cpu := selfCPU()
			pct := 100 * float64(cpu-lastCPU) / float64(now.Sub(lastT))
			lastCPU, lastT = cpu, now
			line := fmt.Sprintf("%s %-8s %5.1fs  online %d  logins %d ok %d failed",
				r.scenario, *r.phase.Load(), now.Sub(r.start).Seconds(), r.online.Load(), r.loginsOK.Load(), r.loginsFailed.Load())
			if s := r.sent.Load(); s > 0 {
				line += fmt.Sprintf("  sent %d recv %d p99 %.1fms", s, r.received.Load(), ms(r.deliveryHist.Quantile(0.99)))
			}
			line += fmt.Sprintf("  errors %d  mob cpu %.0f%%", r.errorCount(), pct)
			fmt.Fprintf(r.cfg.Progress, "\r\033[K%s", line)
		}
	}
}
