package c2s

import (
	"net"
	"sync"

	"golang.org/x/sys/unix"
)

// poller watches parked sessions' sockets with one epoll instance and one
// goroutine blocked in epoll_wait. Each registration is one-shot and
// level-triggered: it fires once, also for bytes that arrived before it was
// armed, and is re-armed the next time the session parks.
type poller struct {
	epfd   int
	wakefd int // an eventfd that ends the loop at close

	mu  sync.Mutex
	fds map[int32]*session // armed or once-armed descriptors
}

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, err
	}
	p := &poller{epfd: epfd, wakefd: wfd, fds: make(map[int32]*session)}
	go p.loop()
	return p, nil
}

func (p *poller) loop() {
	events := make([]unix.EpollEvent, 256)
	ready := make([]*session, 0, len(events))
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return
		}
		stop := false
		ready = ready[:0]
		p.mu.Lock()
		for _, ev := range events[:n] {
			if ev.Fd == int32(p.wakefd) {
				stop = true
				continue
			}
			if s := p.fds[ev.Fd]; s != nil {
				ready = append(ready, s)
			}
		}
		p.mu.Unlock()
		for i, s := range ready {
			s.wake()
			ready[i] = nil
		}
		if stop {
			unix.Close(p.epfd)
			unix.Close(p.wakefd)
			return
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

// close ends the loop; the poller's descriptors are closed by the loop.
func (p *poller) close() {
	var one = [8]byte{1}
	unix.Write(p.wakefd, one[:])
}

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
