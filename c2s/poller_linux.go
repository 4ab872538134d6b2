package c2s

import (
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller watches parked sessions' sockets with one epoll instance. Each
// registration is one-shot and level-triggered: it fires once, also for
// bytes that arrived before it was armed, and is re-armed the next time the
// session parks.
//
// The epoll descriptor is itself waited on through Go's network poller (an
// epoll set is readable while any of its sockets is ready), so the loop
// goroutine is woken like any network reader. A goroutine blocked in
// epoll_wait instead would come back from the system call without a P and
// queue behind everything runnable: at 57% load on one core that cost a
// parked sender about 30 ms per message.
type poller struct {
	epfd int
	file *os.File // epfd, registered with Go's network poller

	mu  sync.Mutex
	fds map[int32]*session // armed or once-armed descriptors
}

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, err
	}
	p := &poller{epfd: epfd, file: os.NewFile(uintptr(epfd), "c2s-poller"), fds: make(map[int32]*session)}
	rc, err := p.file.SyscallConn()
	if err != nil {
		p.file.Close()
		return nil, err
	}
	go p.loop(rc)
	return p, nil
}

func (p *poller) loop(rc syscall.RawConn) {
	events := make([]unix.EpollEvent, 256)
	ready := make([]*session, 0, len(events))
	for {
		var n int
		var werr error
		err := rc.Read(func(fd uintptr) bool {
			n, werr = unix.EpollWait(int(fd), events, 0)
			if werr == unix.EINTR {
				n, werr = 0, nil
			}
			return n > 0 || werr != nil // nothing ready: wait until the set is readable
		})
		if err != nil || werr != nil {
			return // closed
		}
		ready = ready[:0]
		p.mu.Lock()
		for _, ev := range events[:n] {
			if s := p.fds[ev.Fd]; s != nil {
				ready = append(ready, s)
			}
		}
		p.mu.Unlock()
		for i, s := range ready {
			s.wake()
			ready[i] = nil
		}
	}
}

// arm asks for one wake-up when s's socket is readable or hung up.
func (p *poller) arm(s *session) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: s.fd}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fds[s.fd] == s {
		return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(s.fd), &ev)
	}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(s.fd), &ev); err != nil {
		return err
	}
	p.fds[s.fd] = s
	return nil
}

// forget removes s's socket; it must run before the socket is closed.
func (p *poller) forget(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fds[s.fd] == s {
		unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(s.fd), nil)
		delete(p.fds, s.fd)
	}
}

// close ends the loop and closes the epoll descriptor.
func (p *poller) close() { p.file.Close() }

// socketFD returns the descriptor of a TCP connection, or -1 for anything
// the poller cannot watch (net.Pipe in tests, say).
func socketFD(c net.Conn) int32 {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return -1
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := int32(-1)
	rc.Control(func(u uintptr) { fd = int32(u) })
	return fd
}
