package httpx

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// Origins is the policy both browser transports apply to a request's
// Origin header (RFC 6454, RFC 6455 §10.2): which pages may use the
// endpoint, and whose cookies may log a visitor in. A browser attaches the
// visitor's cookies for the endpoint to requests from any page, so a page
// that is not trusted must not have them count as a login.
type Origins struct {
	any     bool     // "*" is listed
	origins []string // whole origins or patterns ("https://*.example.com"), lower case
	hosts   []string // entries without a scheme, matched on the host, lower case
}

// NewOrigins parses the configured origins: whole origins such as
// "https://chat.example.com", path.Match patterns of them, a bare host
// (matched whatever the scheme), or "*" for any page, without its cookies.
func NewOrigins(list []string) Origins {
	var o Origins
	for _, e := range list {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "*":
			o.any = true
		case strings.Contains(e, "://"):
			o.origins = append(o.origins, strings.TrimSuffix(e, "/"))
		case e != "":
			o.hosts = append(o.hosts, e)
		}
	}
	return o
}

// OriginVerdict is what Origins.Check decided about one request.
type OriginVerdict int

// The verdicts. Only OriginRefused refuses the request; OriginAny lets it
// in without its cookies.
const (
	// OriginRefused: a page from an origin that is not allowed.
	OriginRefused OriginVerdict = iota
	// OriginAbsent: no Origin header, so not a browser page; such a
	// client holds whatever cookie it sends.
	OriginAbsent
	// OriginSame: a page from the host the request was sent to.
	OriginSame
	// OriginListed: a page from a configured origin.
	OriginListed
	// OriginAny: a page allowed only because "*" is configured.
	OriginAny
)

// Allowed reports whether the request may use the endpoint at all.
func (v OriginVerdict) Allowed() bool { return v != OriginRefused }

// Cookies reports whether the request's cookies may authenticate (SASL
// EXTERNAL): not for a page let in only by "*", which could be any site
// the visitor happens to open.
func (v OriginVerdict) Cookies() bool {
	return v == OriginAbsent || v == OriginSame || v == OriginListed
}

// Check decides on r. Same origin means the Origin's host (and port) is
// the Host the request was sent to, as the WebSocket handler has always
// compared them; a reverse proxy that rewrites Host needs its public
// origin in the list.
func (o Origins) Check(r *http.Request) OriginVerdict {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return OriginAbsent
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		// "null" (a sandboxed or file: page) or junk: no origin to
		// match, so only "*" lets it in.
		if o.any {
			return OriginAny
		}
		return OriginRefused
	}
	host := strings.ToLower(u.Host)
	if strings.EqualFold(host, r.Host) {
		return OriginSame
	}
	whole := strings.ToLower(u.Scheme) + "://" + host
	for _, p := range o.origins {
		if p == whole {
			return OriginListed
		}
		if ok, _ := path.Match(p, whole); ok {
			return OriginListed
		}
	}
	for _, p := range o.hosts {
		if ok, _ := path.Match(p, host); ok {
			return OriginListed
		}
	}
	if o.any {
		return OriginAny
	}
	return OriginRefused
}
