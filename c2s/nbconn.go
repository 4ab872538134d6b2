package c2s

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// nbConn is a client's TCP socket with writes that never block, the layer
// under TLS (or the whole connection in plain mode).
//
// Whoever routes a stanza to a session writes it out on its own goroutine
// (outbound.go): one TLS record and one write(2), with no writer goroutine
// to start and schedule for every delivery, which cost more CPU than the
// routing itself. That is only safe if the write cannot block on a peer
// that stopped reading, so the bytes the kernel does not take at once go
// to a backlog that a goroutine of the connection's own drains with
// ordinary blocking writes under a deadline. The outbound queue counts the
// backlog against its cap, so a slow consumer is still cut off.
type nbConn struct {
	*net.TCPConn
	rc syscall.RawConn

	mu       sync.Mutex
	backlog  []byte    // bytes the kernel has not taken yet, in order
	flushing bool      // the drain goroutine runs; new bytes queue behind it
	closing  bool      // close once the backlog is written
	err      error     // the first write error; every later write fails with it
	deadline time.Time // the write deadline set from above (TLS close, a cut-off), if any
	pending  atomic.Int64
}

// newNBConn wraps c, or returns nil if c is not a TCP socket.
func newNBConn(c net.Conn) *nbConn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	return &nbConn{TCPConn: tc, rc: rc}
}

// errWriteClosed is what a write after Close returns.
var errWriteClosed = errors.New("c2s: write after close")

// Write sends what the kernel takes now and queues the rest; it returns
// len(b) unless the connection already failed.
func (c *nbConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.closing {
		return 0, errWriteClosed
	}
	n := 0
	if !c.flushing {
		var werr error
		if err := c.rc.Write(func(fd uintptr) bool {
			for {
				n, werr = syscall.Write(int(fd), b)
				if werr != syscall.EINTR {
					return true // never wait for the socket: the backlog does
				}
			}
		}); err != nil {
			c.err = err
			return 0, err
		}
		n = max(n, 0)
		if werr != nil && werr != syscall.EAGAIN {
			c.err = werr
			return 0, werr
		}
		if n == len(b) {
			return n, nil
		}
	}
	c.backlog = append(c.backlog, b[n:]...)
	c.pending.Store(int64(len(c.backlog)))
	if !c.flushing {
		c.flushing = true
		go c.drain()
	}
	return len(b), nil
}

// drain writes the backlog with blocking writes until it is empty.
func (c *nbConn) drain() {
	var spare []byte
	for {
		c.mu.Lock()
		buf := c.backlog
		if len(buf) == 0 || c.err != nil {
			c.backlog = nil
			c.pending.Store(0)
			c.flushing = false
			closing := c.closing
			c.mu.Unlock()
			if closing {
				c.TCPConn.Close()
			}
			return
		}
		c.backlog = spare[:0]
		d := time.Now().Add(writeTimeout)
		if !c.deadline.IsZero() && c.deadline.Before(d) {
			d = c.deadline // a close or cut-off asked for less patience
		}
		c.mu.Unlock()
		c.TCPConn.SetWriteDeadline(d)
		_, err := c.TCPConn.Write(buf)
		c.mu.Lock()
		if err != nil && c.err == nil {
			c.err = err
		}
		c.pending.Store(int64(len(c.backlog)))
		c.mu.Unlock()
		spare = buf
	}
}

// SetWriteDeadline applies t to a write in progress and remembers it, so
// the drain never extends a deadline that TLS's close or a slow-consumer
// cut-off set.
func (c *nbConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.TCPConn.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines; see SetWriteDeadline.
func (c *nbConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.TCPConn.SetDeadline(t)
}

// Backlog is the number of bytes written but not yet taken by the kernel.
func (c *nbConn) Backlog() int { return int(c.pending.Load()) }

// Close closes the socket, after the backlog is written if there is one
// (a stream error and close tag must reach the peer); the drain's write
// deadline bounds that wait.
func (c *nbConn) Close() error {
	c.mu.Lock()
	c.closing = true
	if c.flushing && c.err == nil {
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.TCPConn.Close()
}
