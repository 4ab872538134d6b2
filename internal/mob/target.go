package mob

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ErrRemote refuses a target outside loopback.
var ErrRemote = errors.New("target is not on loopback")

// CheckTarget resolves host and refuses it unless every address it has is
// a loopback address, or allowRemote is set. mob is a load generator:
// pointed at someone else's server by mistake, it is a denial of service.
func CheckTarget(ctx context.Context, r *net.Resolver, host string, allowRemote bool) error {
	if allowRemote {
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", host, err)
		}
		addrs = ips
	}
	if len(addrs) == 0 {
		return fmt.Errorf("resolve %s: no address", host)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return fmt.Errorf("%w: %s resolves to %s (use --allow-remote for a server you run)", ErrRemote, host, a)
		}
	}
	return nil
}

// ParseSources parses a list of local addresses: comma-separated single
// addresses or IPv4 ranges written a.b.c.d-a.b.c.e or a.b.c.d-e.
func ParseSources(s string) ([]net.IP, error) {
	var out []net.IP
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := netip.ParseAddr(lo)
		if err != nil {
			return nil, fmt.Errorf("source address %q: %w", part, err)
		}
		if !isRange {
			out = append(out, net.IP(a.AsSlice()))
			continue
		}
		if !strings.Contains(hi, ".") && a.Is4() {
			b := a.As4()
			hi = fmt.Sprintf("%d.%d.%d.%s", b[0], b[1], b[2], hi)
		}
		b, err := netip.ParseAddr(hi)
		if err != nil || !a.Is4() || !b.Is4() || b.Less(a) {
			return nil, fmt.Errorf("source range %q: want an IPv4 range low-high", part)
		}
		for x := a; ; x = x.Next() {
			out = append(out, net.IP(x.AsSlice()))
			if x == b || len(out) > 1<<16 {
				break
			}
		}
	}
	if len(out) > 1<<16 {
		return nil, errors.New("more than 65536 source addresses")
	}
	return out, nil
}
