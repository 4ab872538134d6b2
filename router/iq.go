package router

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// Target says whom an IQ handler answers for.
type Target uint8

const (
	// TargetServer handles IQs addressed to a hosted domain.
	TargetServer Target = iota
	// TargetAccount handles IQs addressed to a user's bare JID (or with no
	// 'to'), answered by the server on the user's behalf.
	TargetAccount
	// TargetStream handles IQs on a stream that has not authenticated yet
	// (XEP-0077 in-band registration). IQ.From is empty and IQ.To is the
	// stream's domain; the reply goes back on that stream only.
	TargetStream
)

// String names the target for logs and errors.
func (t Target) String() string {
	switch t {
	case TargetAccount:
		return "account"
	case TargetStream:
		return "stream"
	}
	return "server"
}

// IQ is one request handed to an IQ handler.
type IQ struct {
	From    jid.JID         // the requester, as stamped by its session
	To      jid.JID         // the domain (TargetServer) or bare JID (TargetAccount)
	Type    string          // get or set
	Payload *stream.Element // the single child element
	Stanza  *stream.Element // the whole <iq/>
}

// IQHandler answers IQ requests of one namespace. It returns the payload of
// the result (nil for an empty result) or an error; a *stanza.Error becomes
// that error reply, anything else internal-server-error.
type IQHandler interface {
	HandleIQ(ctx context.Context, iq *IQ) (*stream.Element, error)
}

// IQHandlerFunc adapts a function to IQHandler.
type IQHandlerFunc func(ctx context.Context, iq *IQ) (*stream.Element, error)

// HandleIQ calls f.
func (f IQHandlerFunc) HandleIQ(ctx context.Context, iq *IQ) (*stream.Element, error) {
	return f(ctx, iq)
}

type iqKey struct {
	target Target
	ns     string
}

type iqEntry struct {
	owner string
	h     IQHandler
}

// HandleIQ registers h for payloads in namespace ns addressed to target.
// owner names the registering module; a namespace claimed twice is an error
// naming both owners, so a misconfiguration fails at start, not at runtime.
func (r *Router) HandleIQ(target Target, ns, owner string, h IQHandler) (remove func(), err error) {
	if h == nil || ns == "" {
		return nil, fmt.Errorf("router: %s: empty namespace or nil handler", owner)
	}
	k := iqKey{target, ns}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.iqs[k]; ok {
		return nil, fmt.Errorf("router: %s IQ namespace %q claimed by both %s and %s", target, ns, prev.owner, owner)
	}
	r.iqs[k] = iqEntry{owner: owner, h: h}
	return func() {
		r.mu.Lock()
		delete(r.iqs, k)
		r.mu.Unlock()
	}, nil
}

func (r *Router) dispatchIQ(ctx context.Context, target Target, el *stream.Element, to jid.JID) {
	if !isRequest(el) {
		return // results and errors to the server or an account end here
	}
	payload := el.FirstChild()
	if payload == nil || el.ChildCount() != 1 {
		r.bounce(ctx, el, stanza.ErrBadRequest("an IQ get or set carries exactly one payload"))
		return
	}
	r.mu.RLock()
	e, ok := r.iqs[iqKey{target, payload.Space}]
	r.mu.RUnlock()
	if !ok {
		r.bounce(ctx, el, stanza.ErrServiceUnavailable())
		return
	}
	from, err := r.jids.Parse(el.Attr("from"))
	if err != nil {
		return
	}
	res, err := r.call(ctx, e, &IQ{From: from, To: to, Type: el.Attr("type"), Payload: payload, Stanza: el})
	if err != nil {
		r.bounce(ctx, el, r.handlerError(ctx, e, payload.Space, err))
		return
	}
	reply := stanza.Result(el, res)
	if reply.Attr("from") == "" {
		reply.SetAttr("from", to.String())
	}
	r.route(ctx, stanza.KindIQ, reply)
}

// handlerError turns a handler's error into the stanza error to answer
// with: a *stanza.Error as it is, anything else internal-server-error,
// logged with the module that returned it.
func (r *Router) handlerError(ctx context.Context, e iqEntry, ns string, err error) *stanza.Error {
	if se, ok := err.(*stanza.Error); ok {
		return se
	}
	r.log.LogAttrs(ctx, slog.LevelError, "IQ handler failed", slog.String("module", e.owner),
		slog.String("ns", ns), slog.Any("err", err))
	return stanza.NewError(stanza.InternalServerError, "")
}

// call runs a handler, turning a panic into internal-server-error so one
// module's bug never takes a session or the process down.
func (r *Router) call(ctx context.Context, e iqEntry, iq *IQ) (res *stream.Element, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.LogAttrs(ctx, slog.LevelError, "IQ handler panicked", slog.String("module", e.owner),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			res, err = nil, stanza.NewError(stanza.InternalServerError, "")
		}
	}()
	return e.h.HandleIQ(ctx, iq)
}

// PreAuthIQ answers an IQ sent before authentication on a stream for
// domain. It returns the reply, or nil when no handler claims the payload
// namespace (the caller then treats the IQ as a protocol violation).
func (r *Router) PreAuthIQ(ctx context.Context, domain jid.JID, el *stream.Element) *stream.Element {
	payload := el.FirstChild()
	if payload == nil {
		return nil
	}
	r.mu.RLock()
	e, ok := r.iqs[iqKey{TargetStream, payload.Space}]
	r.mu.RUnlock()
	if !ok {
		return nil
	}
	if !isRequest(el) || el.ChildCount() != 1 {
		return stanza.ErrorReply(el, stanza.ErrBadRequest(""))
	}
	res, err := r.call(ctx, e, &IQ{To: domain, Type: el.Attr("type"), Payload: payload, Stanza: el})
	if err != nil {
		return stanza.ErrorReply(el, r.handlerError(ctx, e, payload.Space, err))
	}
	return stanza.Result(el, res)
}
