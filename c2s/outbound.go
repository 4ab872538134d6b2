package c2s

import (
	"sync"
	"time"

	"github.com/meerkat-xmpp/meerkat/stream"
)

// bufPool holds serialized-output buffers. A session borrows one only while
// it has bytes queued, so an idle session holds no write buffer at all.
type bufPool struct{ p sync.Pool }

const (
	poolBufSize = 4 << 10
	poolBufMax  = 64 << 10 // larger buffers are dropped, not pooled
)

func (b *bufPool) get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return (*v)[:0]
	}
	return make([]byte, 0, poolBufSize)
}

func (b *bufPool) put(buf []byte) {
	if cap(buf) > poolBufMax || cap(buf) == 0 {
		return
	}
	buf = buf[:0]
	b.p.Put(&buf)
}

// outbound is a session's bounded output queue: serialized bytes plus a
// writer goroutine that exists only while there is something to write. An
// enqueue never blocks; all that is pending goes out in one Write (so one TLS
// flush), the batching nats-server's flushOutbound does.
type outbound struct {
	mu       sync.Mutex
	drained  sync.Cond // signalled when the writer goes idle
	pending  []byte
	max      int
	running  bool // writer goroutine active
	closing  bool // no more enqueues; close the conn once drained
	closed   bool // conn closed
	overflow bool // cut off as a slow consumer
	write    func(b []byte) error
	shutdown func() // closes the connection
	pool     *bufPool
	timeout  time.Duration
}

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
	if o.max > 0 && len(o.pending) > o.max {
		// A slow consumer: drop what it did not take, tell it why, close.
		o.pool.put(o.pending)
		o.pending = stream.E(stream.PolicyViolation, "slow consumer: outbound queue full").AppendXML(nil)
		o.pending = append(o.pending, "</stream:stream>"...)
		o.overflow = true
		o.closing = true
	}
	o.kick()
	o.mu.Unlock()
	return !o.overflow
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
	if len(tail) > 0 {
		if o.pending == nil {
			o.pending = o.pool.get()
		}
		o.pending = append(o.pending, tail...)
	}
	o.kick()
	o.mu.Unlock()
}

// kick starts the writer if needed; o.mu is held.
func (o *outbound) kick() {
	if o.running || o.closed {
		return
	}
	o.running = true
	go o.writeLoop()
}

func (o *outbound) writeLoop() {
	for {
		o.mu.Lock()
		buf := o.pending
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
	for o.running || (len(o.pending) > 0 && !o.closed) {
		if !o.running {
			o.kick()
		}
		o.drained.Wait()
	}
	return !o.closed
}
