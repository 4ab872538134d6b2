package router

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// UserDirectory answers whether a local account exists, so that stanzas to
// unknown users get the error RFC 6121 §8.5.1 names.
type UserDirectory interface {
	UserExists(ctx context.Context, host, username string) (bool, error)
}

// Options configure a Router. Every field but Hosts has a usable zero value.
type Options struct {
	Hosts   []string
	Users   UserDirectory // nil: every localpart counts as existing
	JIDs    *stanza.JIDCache
	Logger  *slog.Logger
	Metrics *Metrics
}

// Router is the one JID router of a Meerkat node.
type Router struct {
	hosts   map[string]bool
	users   UserDirectory
	jids    *stanza.JIDCache
	log     *slog.Logger
	metrics *Metrics
	reg     *registry

	hooks Hooks

	mu              sync.RWMutex
	iqs             map[iqKey]iqEntry
	domains         map[string]domainEntry // service domains owned by modules
	features        []FeatureFunc          // stream features modules contribute
	preAuthFeatures []FeatureFunc
}

// New returns a router for the given local hosts.
func New(o Options) *Router {
	r := &Router{
		hosts:   make(map[string]bool, len(o.Hosts)),
		users:   o.Users,
		jids:    o.JIDs,
		log:     o.Logger,
		metrics: o.Metrics,
		reg:     newRegistry(),
		iqs:     make(map[iqKey]iqEntry),
	}
	for _, h := range o.Hosts {
		r.hosts[strings.ToLower(h)] = true
	}
	if r.jids == nil {
		r.jids = stanza.NewJIDCache(1 << 16)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.metrics == nil {
		r.metrics = NewMetrics(nil)
	}
	return r
}

// Hooks returns the hook points modules register on.
func (r *Router) Hooks() *Hooks { return &r.hooks }

// JIDs returns the router's JID cache, shared with sessions.
func (r *Router) JIDs() *stanza.JIDCache { return r.jids }

// IsLocal reports whether domain is served by this node.
func (r *Router) IsLocal(domain string) bool { return r.hosts[domain] }

// Bind registers s as the session of full. Under ConflictReplace an older
// session on the same resource is kicked with <conflict/>; under
// ConflictRefuse Bind returns ErrConflict. The policy belongs to the
// listener the new session came in on.
func (r *Router) Bind(full jid.JID, s Session, p ConflictPolicy) error {
	old, err := r.reg.bind(full, s, p)
	if err != nil {
		return err
	}
	if old != nil && old != s {
		old.Kick(stream.E(stream.Conflict, "replaced by new connection"))
	}
	return nil
}

// Unbind removes s from full if it still holds it.
func (r *Router) Unbind(full jid.JID, s Session) { r.reg.unbind(full, s) }

// SetPresence records availability and priority of a bound resource; bare
// JID routing (RFC 6121 §8.5.2) reads them.
func (r *Router) SetPresence(full jid.JID, s Session, available bool, priority int) {
	r.reg.setPresence(full, s, available, priority)
}

// Resources returns a snapshot of a user's bound resources.
func (r *Router) Resources(bare jid.JID) []Resource {
	return r.reg.resources(nil, bare.String())
}

// SessionCount returns the number of bound resources on this node.
func (r *Router) SessionCount() int { return r.reg.count() }

// Each calls fn for a snapshot of every bound resource (shutdown, admin).
func (r *Router) Each(fn func(Resource)) {
	for _, x := range r.reg.all(nil) {
		fn(x)
	}
}

// Route delivers el, whose 'from' is already stamped by the sender's session
// and whose 'to' is the destination ("" means the sender's own account).
func (r *Router) Route(ctx context.Context, el *stream.Element) {
	start := time.Now()
	k := stanza.KindOf(el)
	r.route(ctx, k, el)
	r.metrics.observe(k, time.Since(start))
}

func (r *Router) route(ctx context.Context, k stanza.Kind, el *stream.Element) {
	if k == stanza.KindNone {
		return
	}
	to := el.Attr("to")
	if to == "" {
		// RFC 6120 §10.3: no 'to' means the sender's account.
		from, err := r.jids.Parse(el.Attr("from"))
		if err != nil {
			return
		}
		r.toAccount(ctx, k, el, from.Bare())
		return
	}
	dst, err := r.jids.Parse(to)
	if err != nil {
		r.bounce(ctx, el, stanza.NewError(stanza.JIDMalformed, ""))
		return
	}
	domain := dst.Domainpart()
	if !r.hosts[domain] {
		if r.toService(ctx, el, dst) {
			return
		}
		// Federation is not built yet: a remote domain cannot be reached.
		r.bounce(ctx, el, stanza.NewError(stanza.RemoteServerNotFound, ""))
		return
	}
	if dst.Localpart() == "" {
		r.toServer(ctx, k, el, dst)
		return
	}
	if !r.hooks.UserReceive.Empty() {
		p := &Packet{Kind: k, Type: el.Attr("type"), To: dst, Stanza: el}
		p.From, _ = r.jids.Parse(el.Attr("from"))
		if r.RunStanza(ctx, &r.hooks.UserReceive, p) != Pass {
			return
		}
	}
	if dst.Resourcepart() != "" {
		r.toFull(ctx, k, el, dst)
		return
	}
	r.toAccount(ctx, k, el, dst)
}

// Deliver hands el to a local user as RFC 6121 §8.5 says, without running
// the UserReceive hook again: for modules that already ran their checks
// (the presence module delivering a subscription request, say).
func (r *Router) Deliver(ctx context.Context, el *stream.Element, to jid.JID) {
	k := stanza.KindOf(el)
	if to.Resourcepart() != "" {
		r.toFull(ctx, k, el, to)
		return
	}
	r.toAccount(ctx, k, el, to)
}

// Bounce answers el with the stanza error e (unless el is an error).
func (r *Router) Bounce(ctx context.Context, el *stream.Element, e *stanza.Error) {
	r.bounce(ctx, el, e)
}

// bounce answers el with an error, unless el is an error itself.
func (r *Router) bounce(ctx context.Context, el *stream.Element, e *stanza.Error) {
	if stanza.IsErrorType(el) || el.Attr("from") == "" {
		return
	}
	r.metrics.bounced.Inc()
	reply := stanza.ErrorReply(el, e)
	if reply.Attr("from") == "" {
		// An error about a stanza with no 'to' comes from the account itself.
		if f, err := r.jids.Parse(el.Attr("from")); err == nil {
			reply.SetAttr("from", f.Bare().String())
		}
	}
	r.route(ctx, stanza.KindOf(reply), reply)
}

// toFull implements RFC 6121 §8.5.3.
func (r *Router) toFull(ctx context.Context, k stanza.Kind, el *stream.Element, dst jid.JID) {
	bare := dst.Bare()
	if s, ok := r.reg.lookup(bare.String(), dst.Resourcepart()); ok {
		s.Deliver(el)
		return
	}
	switch k {
	case stanza.KindMessage:
		switch stanza.MessageType(el) {
		case stanza.MessageNormal, stanza.MessageChat, stanza.MessageHeadline:
			r.toAccount(ctx, k, el, bare) // §8.5.3.2.1: treat as sent to the bare JID
		case stanza.MessageGroupchat:
			r.bounce(ctx, el, stanza.ErrServiceUnavailable())
		}
	case stanza.KindIQ:
		if t := el.Attr("type"); t == stanza.IQGet || t == stanza.IQSet {
			r.bounce(ctx, el, stanza.ErrServiceUnavailable())
		}
	case stanza.KindPresence:
		// §8.5.3.2.3: presence to a resource that is gone is dropped.
	}
}

// toAccount implements RFC 6121 §8.5.2 (account exists) and §8.5.1 (not).
func (r *Router) toAccount(ctx context.Context, k stanza.Kind, el *stream.Element, bare jid.JID) {
	var buf [8]Resource
	list := r.reg.resources(buf[:0], bare.String())
	if len(list) == 0 && !r.exists(ctx, bare) {
		switch k {
		case stanza.KindMessage, stanza.KindIQ:
			if k == stanza.KindIQ && !isRequest(el) {
				return
			}
			r.bounce(ctx, el, stanza.ErrServiceUnavailable())
		}
		return
	}
	switch k {
	case stanza.KindIQ:
		r.dispatchIQ(ctx, TargetAccount, el, bare)
	case stanza.KindMessage:
		r.messageToAccount(ctx, el, list)
	case stanza.KindPresence:
		for _, x := range list {
			if x.Available {
				x.Session.Deliver(el)
			}
		}
	}
}

func (r *Router) messageToAccount(ctx context.Context, el *stream.Element, list []Resource) {
	typ := stanza.MessageType(el)
	switch typ {
	case stanza.TypeError:
		return // §8.5.2.1.5: silently ignore
	case stanza.MessageGroupchat:
		r.bounce(ctx, el, stanza.ErrServiceUnavailable()) // §8.5.2.1.3
		return
	}
	best, found := -1, false
	for _, x := range list {
		if x.Available && x.Priority >= 0 && (!found || x.Priority > best) {
			best, found = x.Priority, true
		}
	}
	if !found {
		// §8.5.2.2: no available resource with non-negative priority. The
		// offline hook may store normal and chat messages; headlines are dropped.
		if typ == stanza.MessageNormal || typ == stanza.MessageChat {
			if !r.hooks.Offline.Empty() {
				p := &Packet{Kind: stanza.KindMessage, Type: el.Attr("type"), Stanza: el}
				p.From, _ = r.jids.Parse(el.Attr("from"))
				p.To, _ = r.jids.Parse(el.Attr("to"))
				if r.RunStanza(ctx, &r.hooks.Offline, p) != Pass {
					return
				}
			}
			r.bounce(ctx, el, stanza.ErrServiceUnavailable())
		}
		return
	}
	for _, x := range list {
		if !x.Available || x.Priority < 0 {
			continue
		}
		// Headlines go to every non-negative resource (§8.5.2.1.2); normal and
		// chat go to all resources that share the highest priority.
		if typ == stanza.MessageHeadline || x.Priority == best {
			x.Session.Deliver(el)
		}
	}
}

// toServer handles stanzas addressed to a hosted domain (or domain/resource).
func (r *Router) toServer(ctx context.Context, k stanza.Kind, el *stream.Element, dst jid.JID) {
	if k == stanza.KindIQ {
		r.dispatchIQ(ctx, TargetServer, el, dst.Domain())
	}
	// Messages and presence to the server itself are dropped until modules
	// claim them.
}

// UserExists reports whether the local account bare exists, as the
// UserDirectory says (true without one, and when the lookup fails): for
// modules that must not keep state for accounts that are not there.
func (r *Router) UserExists(ctx context.Context, bare jid.JID) bool { return r.exists(ctx, bare) }

func (r *Router) exists(ctx context.Context, bare jid.JID) bool {
	if r.users == nil {
		return true
	}
	ok, err := r.users.UserExists(ctx, bare.Domainpart(), bare.Localpart())
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "user lookup failed", slog.String("jid", bare.String()), slog.Any("err", err))
		return true // fail open: better a queued message than a false error
	}
	return ok
}

func isRequest(el *stream.Element) bool {
	t := el.Attr("type")
	return t == stanza.IQGet || t == stanza.IQSet
}
