package c2s

import (
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// bufPool holds serialized-output buffers. A session borrows one only while
// it has bytes queued, so an idle session holds no write buffer at all.
// sync.Pool stores pointers, and boxing a slice header for every Put would
// cost an allocation per delivery; the emptied boxes are pooled too.
type bufPool struct{ bufs, boxes sync.Pool }

const (
	poolBufSize = 4 << 10
	poolBufMax  = 64 << 10 // larger buffers are dropped, not pooled
)

func (b *bufPool) get() []byte {
	if v, ok := b.bufs.Get().(*[]byte); ok {
		buf := (*v)[:0]
		*v = nil
		b.boxes.Put(v)
		return buf
	}
	return make([]byte, 0, poolBufSize)
}

func (b *bufPool) put(buf []byte) {
	if cap(buf) > poolBufMax || cap(buf) == 0 {
		return
	}
	v, ok := b.boxes.Get().(*[]byte)
	if !ok {
		v = new([]byte)
	}
	*v = buf[:0]
	b.bufs.Put(v)
}

// outbound is a session's bounded output queue. An enqueue never blocks.
// When the connection's writes cannot block (an nbConn below), the goroutine
// that enqueued into an idle queue writes it out itself, as nats-server's
// readers flush the consumers they fed; otherwise, or when more keeps
// arriving, a writer goroutine that exists only while there is something to
// write takes over. Either way all that is pending goes out in one Write
// (so one TLS record), the batching nats-server's flushOutbound does.
type outbound struct {
	mu       sync.Mutex
	drained  sync.Cond // signalled when the writer goes idle
	pending  []byte
	max      int
	running  bool // writer goroutine active
	closing  bool // no more enqueues; close the conn once drained
	closed   bool // conn closed
	overflow bool // cut off as a slow consumer
	cut      bool // the slow consumer's cut-off deadline is set
	corked   bool // the session is handling input: hold output until uncork
	write    func(b []byte) error
	shutdown func() // closes the connection
	pool     *bufPool
	timeout  time.Duration
	inline   bool       // write() never blocks: enqueuers may write themselves
	backlog  func() int // bytes written but still in the socket layer, or nil
}

// inlineRounds bounds how many batches an enqueuing goroutine writes before
// it hands the queue to a writer goroutine, so a session flooded with
// stanzas cannot hold on to the goroutine of whoever routed the first one.
const inlineRounds = 2

// corkLimit is how much a corked queue holds before it writes anyway, so a
// burst (the occupant list of a big room) goes out in a few large writes
// rather than piling up against the queue's cap.
const corkLimit = 64 << 10

func (o *outbound) init(max int, pool *bufPool, write func([]byte) error, shutdown func()) {
	o.drained.L = &o.mu
	o.max = max
	o.pool = pool
	o.write = write
	o.shutdown = shutdown
}

// appendFn serializes into the queue under the lock. It reports false when
// the session is closing or the queue overflowed (the session is then cut).
func (o *outbound) enqueue(fn func([]byte) []byte) bool {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return false
	}
	if o.pending == nil {
		o.pending = o.pool.get()
	}
	o.pending = fn(o.pending)
	queued := len(o.pending)
	if o.backlog != nil {
		queued += o.backlog()
	}
	if o.max > 0 && queued > o.max {
		// A slow consumer: drop what it did not take, tell it why, close.
		o.pool.put(o.pending)
		o.pending = stream.E(stream.PolicyViolation, "slow consumer: outbound queue full").AppendXML(nil)
		o.pending = append(o.pending, "</stream:stream>"...)
		o.overflow = true
		o.closing = true
	}
	ok := !o.overflow
	start := (!o.corked || len(o.pending) >= corkLimit) && o.startLocked()
	o.mu.Unlock()
	if start {
		o.run()
	}
	return ok
}

// close queues tail (a stream error and/or close tag) and closes the
// connection once everything queued has been written.
func (o *outbound) close(tail []byte) {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return
	}
	o.closing = true
	o.corked = false
	if len(tail) > 0 {
		if o.pending == nil {
			o.pending = o.pool.get()
		}
		o.pending = append(o.pending, tail...)
	}
	start := o.startLocked()
	o.mu.Unlock()
	if start {
		o.run()
	}
}

// cork holds what is queued from now on until uncork: the session's own
// goroutine corks while it handles one stanza, so the replies and pushes
// that handling produces for it (a roster, a room's occupant list, offline
// messages at login) leave in one write instead of one write each, as
// nats-server flushes the consumers a read fed once at its end.
func (o *outbound) cork() {
	o.mu.Lock()
	o.corked = true
	o.mu.Unlock()
}

// uncork writes what was held.
func (o *outbound) uncork() {
	o.mu.Lock()
	o.corked = false
	start := len(o.pending) > 0 && o.startLocked()
	o.mu.Unlock()
	if start {
		o.run()
	}
}

// startLocked marks the writer running if it is not; o.mu is held. When it
// returns true the caller must call run once it has released o.mu.
func (o *outbound) startLocked() bool {
	if o.running || o.closed {
		return false
	}
	o.running = true
	return true
}

// run writes on this goroutine when that cannot block, else starts a writer.
func (o *outbound) run() {
	if o.inline {
		o.writeLoop(inlineRounds)
		return
	}
	go o.writeLoop(-1)
}

// writeLoop writes batches until the queue is empty; after rounds batches
// (unless rounds < 0) it hands what is left to a writer goroutine.
func (o *outbound) writeLoop(rounds int) {
	for ; ; rounds-- {
		o.mu.Lock()
		buf := o.pending
		if len(buf) > 0 && rounds == 0 {
			o.mu.Unlock()
			go o.writeLoop(-1)
			return
		}
		o.pending = nil
		if len(buf) == 0 {
			o.running = false
			done := o.closing && !o.closed
			if done {
				o.closed = true
			}
			o.drained.Broadcast()
			o.mu.Unlock()
			if buf != nil {
				o.pool.put(buf)
			}
			if done {
				o.shutdown()
			}
			return
		}
		o.mu.Unlock()
		err := o.write(buf)
		o.pool.put(buf)
		if err != nil {
			o.mu.Lock()
			o.closing = true
			o.closed = true
			if o.pending != nil {
				o.pool.put(o.pending)
				o.pending = nil
			}
			o.running = false
			o.drained.Broadcast()
			o.mu.Unlock()
			o.shutdown()
			return
		}
	}
}

// flush waits until everything queued so far is written. It reports false
// if the connection failed meanwhile.
func (o *outbound) flush() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.corked = false
	for o.running || (len(o.pending) > 0 && !o.closed) {
		if o.startLocked() {
			go o.writeLoop(-1)
		}
		o.drained.Wait()
	}
	return !o.closed
}
