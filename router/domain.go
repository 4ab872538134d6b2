package router

import (
	"context"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// DomainHandler takes every stanza addressed to a service domain a module
// owns (conference.example.org, say), whatever its kind and whatever the
// localpart and resourcepart of 'to'. It runs on the sender's goroutine and
// must not block on I/O to other sessions (Deliver never blocks).
type DomainHandler interface {
	HandleStanza(ctx context.Context, el *stream.Element, to jid.JID)
}

// DomainHandlerFunc adapts a function to DomainHandler.
type DomainHandlerFunc func(ctx context.Context, el *stream.Element, to jid.JID)

// HandleStanza calls f.
func (f DomainHandlerFunc) HandleStanza(ctx context.Context, el *stream.Element, to jid.JID) {
	f(ctx, el, to)
}

type domainEntry struct {
	owner string
	h     DomainHandler
}

// HandleDomain makes h the owner of every stanza addressed to domain, which
// must not be a hosted domain or claimed already: a second claim is an
// error naming both owners. The router finds the handler by one map lookup.
func (r *Router) HandleDomain(domain, owner string, h DomainHandler) (remove func(), err error) {
	domain = strings.ToLower(domain)
	if h == nil || domain == "" {
		return nil, fmt.Errorf("router: %s: empty domain or nil handler", owner)
	}
	if r.hosts[domain] {
		return nil, fmt.Errorf("router: %s: domain %q is a hosted domain, not a service", owner, domain)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.domains == nil {
		r.domains = make(map[string]domainEntry)
	}
	if prev, ok := r.domains[domain]; ok {
		return nil, fmt.Errorf("router: service domain %q claimed by both %s and %s", domain, prev.owner, owner)
	}
	r.domains[domain] = domainEntry{owner: owner, h: h}
	return func() {
		r.mu.Lock()
		delete(r.domains, domain)
		r.mu.Unlock()
	}, nil
}

// IsService reports whether a module owns domain.
func (r *Router) IsService(domain string) bool {
	r.mu.RLock()
	_, ok := r.domains[domain]
	r.mu.RUnlock()
	return ok
}

// toService hands el to the module owning its domain; it reports false when
// no module does.
func (r *Router) toService(ctx context.Context, el *stream.Element, dst jid.JID) bool {
	r.mu.RLock()
	e, ok := r.domains[dst.Domainpart()]
	r.mu.RUnlock()
	if !ok {
		return false
	}
	r.callDomain(ctx, e, el, dst)
	return true
}

// callDomain runs a service handler, turning a panic into
// internal-server-error for the sender, as IQ handlers do.
func (r *Router) callDomain(ctx context.Context, e domainEntry, el *stream.Element, dst jid.JID) {
	defer func() {
		if p := recover(); p != nil {
			r.log.ErrorContext(ctx, "service handler panicked", "module", e.owner, "panic", p)
			r.bounce(ctx, el, stanza.NewError(stanza.InternalServerError, ""))
		}
	}()
	e.h.HandleStanza(ctx, el, dst)
}

// Lookup returns the session bound to the full JID bare/resource, for
// modules that deliver one stanza to many known sessions (MUC fan-out).
func (r *Router) Lookup(bare, resource string) (Session, bool) {
	return r.reg.lookup(bare, resource)
}

// RawStanza is a stanza serialized once for many recipients that differ
// only in 'to': Head ends just inside the opening quote of the to
// attribute (…to=') and Tail starts at its closing quote. Proto is a
// shallow element with the stanza's name and type, for metrics.
type RawStanza struct {
	Head, Tail []byte
	Proto      *stream.Element
}

// RawSession is a Session that can take a pre-serialized stanza. to is the
// recipient's JID already escaped for an attribute value. Fan-out code
// checks for it and falls back to Deliver for sessions without it.
type RawSession interface {
	DeliverRaw(st *RawStanza, to []byte) bool
}
