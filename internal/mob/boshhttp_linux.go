package mob

import (
	"net"
	"syscall"
)

// peerClosed reports whether the server has closed (or written to) an
// idle pooled connection, by peeking at its socket without blocking.
// net/http learns it from the read loop it keeps on every idle
// connection; a peek costs one syscall per reuse instead of a goroutine
// per connection. It matters beyond the retry post makes: a request
// written to a dead connection has already let the next rid go out
// (exchange), and its resend then arrives after that one, which is the
// reordering ejabberd stalls on. An idle HTTP/1.1 connection has nothing
// to read, so data counts as closed too (a TLS close_notify, a 408).
func peerClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: nothing to read, alive (EINTR: assume so too). Else
		// EOF, unexpected data, or an error such as ECONNRESET.
		closed = err != syscall.EAGAIN && err != syscall.EINTR
		return true
	})
	return closed || err != nil
}
