// Package httpx holds what the HTTP transports of c2s (WebSocket, BOSH)
// share: deciding whether a request came over TLS, directly or through a
// trusted reverse proxy, and which address it came from.
package httpx

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is the set of reverse proxies whose forwarded headers are
// believed. The zero value trusts nobody.
type Proxies []netip.Prefix

// ParseProxies parses addresses and CIDR prefixes.
func ParseProxies(list []string) (Proxies, error) {
	var out Proxies
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (p Proxies) trusted(r *http.Request) bool {
	if len(p) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	for _, pr := range p {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// Security returns the TLS state to give the session: the listener's own
// TLS, or, when a trusted proxy says it terminated TLS (X-Forwarded-Proto:
// https or Forwarded: proto=https), a completed handshake without
// exporter, so PLAIN is allowed and channel binding is not offered (the
// channel ends at the proxy). nil for plain HTTP.
func (p Proxies) Security(r *http.Request) *tls.ConnectionState {
	if r.TLS != nil {
		st := *r.TLS
		return &st
	}
	if !p.trusted(r) {
		return nil
	}
	proto := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")))
	if f := r.Header.Get("Forwarded"); f != "" {
		for _, part := range strings.FieldsFunc(f, func(c rune) bool { return c == ';' || c == ',' }) {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.EqualFold(k, "proto") {
				proto = strings.ToLower(strings.Trim(v, `"`))
			}
		}
	}
	if proto == "https" || proto == "wss" {
		return &tls.ConnectionState{HandshakeComplete: true}
	}
	return nil
}

// RemoteAddr is the client's address: the first X-Forwarded-For entry
// when the peer is a trusted proxy, else the peer.
func (p Proxies) RemoteAddr(r *http.Request) net.Addr {
	host := r.RemoteAddr
	if p.trusted(r) {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			first, _, _ := strings.Cut(f, ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, 0))
			}
		}
	}
	if ap, err := netip.ParseAddrPort(host); err == nil {
		return net.TCPAddrFromAddrPort(ap)
	}
	return &net.TCPAddr{}
}

// Addr is a fixed local address for conns that have no socket of their own.
type Addr string

// Network implements net.Addr.
func (a Addr) Network() string { return "http" }

// String implements net.Addr.
func (a Addr) String() string { return string(a) }
