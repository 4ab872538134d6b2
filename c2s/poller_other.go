//go:build !linux

package c2s

import (
	"errors"
	"net"
)

// poller is Linux-only (epoll); elsewhere sessions never park.
type poller struct{}

func newPoller() (*poller, error)    { return nil, errors.New("c2s: parking needs Linux") }
func (p *poller) arm(*session) error { return errors.New("c2s: parking needs Linux") }
func (p *poller) forget(*session)    {}
func (p *poller) close()             {}

func socketFD(net.Conn) int32 { return -1 }
