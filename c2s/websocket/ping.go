package websocket

import (
	"time"

	"github.com/gobwas/ws"
)

// Pings find peers that vanished without closing (a laptop lid, a dropped
// mobile link). One timer per connection alternates between two waits:
// PingInterval until the next ping, then PingTimeout for any frame to come
// back. A parked session is pinged the same way; the pong wakes it through
// the poller, and it parks again as soon as the pong is read.

// schedulePing arms the timer, if pings are on.
func (c *conn) schedulePing() {
	if c.h.cfg.PingInterval <= 0 {
		return
	}
	c.pingMu.Lock()
	c.pingTimer = time.AfterFunc(c.h.cfg.PingInterval, c.onPingTimer)
	c.pingMu.Unlock()
}

func (c *conn) onPingTimer() {
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	if c.closed.Load() || c.pingTimer == nil {
		return
	}
	if c.awaiting {
		c.awaiting = false
		if !c.alive.Load() {
			c.cut()
			return
		}
		c.pingTimer.Reset(c.h.cfg.PingInterval)
		return
	}
	c.alive.Store(false)
	if err := c.writeControl(ws.OpPing, nil, c.h.cfg.PingTimeout); err != nil {
		c.cut()
		return
	}
	c.awaiting = true
	c.pingTimer.Reset(c.h.cfg.PingTimeout)
}

// stopPing stops the timer for good.
func (c *conn) stopPing() {
	c.pingMu.Lock()
	if c.pingTimer != nil {
		c.pingTimer.Stop()
		c.pingTimer = nil
	}
	c.pingMu.Unlock()
}

// cut ends a dead peer's connection from the timer's goroutine. It shuts
// the socket down rather than closing it: the session, parked or reading,
// sees end of input (a parked one through the poller, since the socket
// becomes readable) and ends through its own cleanup, which must close the
// descriptor only after taking it out of the poller.
func (c *conn) cut() {
	c.setClose(ws.StatusGoingAway, "no answer to ping")
	if c.tcp != nil {
		c.tcp.CloseRead()
		c.tcp.CloseWrite()
		return
	}
	c.raw.Close() // not a socket, so never parked: the read fails
}
