//go:build !linux

package mob

import "net"

// peerClosed cannot peek at a socket here: a stale pooled connection is
// found by the request that fails on it, and post's retry covers it.
func peerClosed(net.Conn) bool { return false }
