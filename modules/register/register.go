package register

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// storeTimeout bounds every storage call the module makes.
const storeTimeout = 10 * time.Second

func disabled(what string) *stanza.Error {
	return &stanza.Error{Type: stanza.Cancel, Condition: stanza.NotAllowed, Text: what + " is disabled on this server"}
}

func notAcceptable(text string) *stanza.Error { return stanza.NewError(stanza.NotAcceptable, text) }

// hidePassword empties the request's payload when the answer is an error,
// so the error reply (which carries the request's payload back, RFC 6120
// §8.3.1) never echoes a password (XEP-0077 §3.3).
func hidePassword(iq *router.IQ, err *error) {
	if *err != nil {
		iq.Payload.Children = nil
	}
}

// handlePreAuth answers jabber:iq:register before authentication: the
// form (get) and account creation (set), XEP-0077 §3.1.
func (m *Module) handlePreAuth(ctx context.Context, iq *router.IQ) (res *stream.Element, err error) {
	defer hidePassword(iq, &err)
	if !m.cfg.AllowRegistration {
		m.metrics.refused("disabled")
		return nil, disabled("registration")
	}
	if iq.Type == stanza.IQGet {
		q := stream.NewElement(NS, "query")
		if m.cfg.Instructions != "" {
			q.AddChild(stream.NewElement(NS, "instructions").AddText(m.cfg.Instructions))
		}
		q.AddChild(stream.NewElement(NS, "username"))
		q.AddChild(stream.NewElement(NS, "password"))
		return q, nil
	}
	if iq.Payload.Child(NS, "remove") != nil {
		// §3.2: nobody to remove on a stream that is not authenticated.
		return nil, &stanza.Error{Type: stanza.Cancel, Condition: stanza.UnexpectedRequest, Text: "log in first"}
	}
	return nil, m.create(ctx, iq)
}

// create registers the account in a set (XEP-0077 §3.1).
func (m *Module) create(ctx context.Context, iq *router.IQ) error {
	host := iq.To.Domainpart()
	name := iq.Payload.ChildText(NS, "username")
	password := iq.Payload.ChildText(NS, "password")
	user, err := jid.New(name, host, "")
	if name == "" || err != nil || user.Localpart() == "" {
		m.metrics.refused("not_acceptable")
		return notAcceptable("the username is missing or not allowed")
	}
	creds, serr := m.credentials(password)
	if serr != nil {
		m.metrics.refused("not_acceptable")
		return serr
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	switch err := m.users.CreateUser(sctx, host, user.Localpart(), creds); {
	case errors.Is(err, storage.ErrExists):
		m.metrics.refused("conflict")
		return &stanza.Error{Type: stanza.Cancel, Condition: stanza.Conflict, Text: "the username is taken"}
	case err != nil:
		return err
	}
	m.metrics.registered.Inc()
	m.log.LogAttrs(ctx, slog.LevelInfo, "account registered", slog.String("jid", user.String()))
	return nil
}

// credentials checks a new password and derives its stored keys.
func (m *Module) credentials(password string) (storage.Credentials, *stanza.Error) {
	if password == "" {
		return storage.Credentials{}, notAcceptable("the password is missing")
	}
	if n := utf8.RuneCountInString(password); n < m.cfg.MinPasswordLength {
		return storage.Credentials{}, notAcceptable(fmt.Sprintf("the password needs at least %d characters", m.cfg.MinPasswordLength))
	}
	creds, err := auth.DeriveCredentials(password, m.cfg.SCRAMIterations)
	if err != nil {
		return storage.Credentials{}, notAcceptable("the password contains characters that are not allowed")
	}
	return creds, nil
}

// handleAccount answers jabber:iq:register from a logged-in user, sent to
// the server or (a <remove/> without 'to') to their own account.
func (m *Module) handleAccount(ctx context.Context, iq *router.IQ) (res *stream.Element, err error) {
	defer hidePassword(iq, &err)
	if iq.To.Localpart() != "" && !iq.To.Equal(iq.From.Bare()) {
		return nil, stanza.NewError(stanza.Forbidden, "")
	}
	bare := iq.From.Bare()
	if iq.Type == stanza.IQGet {
		// §3.1: an already registered entity learns so.
		q := stream.NewElement(NS, "query")
		q.AddChild(stream.NewElement(NS, "registered"))
		q.AddChild(stream.NewElement(NS, "username").AddText(bare.Localpart()))
		q.AddChild(stream.NewElement(NS, "password"))
		return q, nil
	}
	if iq.Payload.Child(NS, "remove") != nil {
		if iq.Payload.ChildCount() != 1 {
			return nil, stanza.ErrBadRequest("<remove/> must be the only child")
		}
		if !m.cfg.AllowRemove {
			m.metrics.refused("disabled")
			return nil, disabled("account removal")
		}
		return nil, m.remove(ctx, iq)
	}
	return nil, m.changePassword(ctx, iq)
}

// changePassword handles XEP-0077 §3.3.
func (m *Module) changePassword(ctx context.Context, iq *router.IQ) error {
	if !m.cfg.AllowPasswordChange {
		m.metrics.refused("disabled")
		return disabled("password change")
	}
	bare := iq.From.Bare()
	name := iq.Payload.ChildText(NS, "username")
	password := iq.Payload.ChildText(NS, "password")
	if name == "" || password == "" {
		// §3.3: an empty password never replaces the current one.
		return stanza.ErrBadRequest("a password change needs <username/> and <password/>")
	}
	if u, err := jid.New(name, bare.Domainpart(), ""); err != nil || !u.Equal(bare) {
		return stanza.NewError(stanza.Forbidden, "that is not your account")
	}
	creds, serr := m.credentials(password)
	if serr != nil {
		m.metrics.refused("not_acceptable")
		return serr
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := m.users.SetCredentials(sctx, bare.Domainpart(), bare.Localpart(), creds); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return stanza.NewError(stanza.RegistrationRequired, "")
		}
		return err
	}
	m.metrics.passwordChanges.Inc()
	m.log.LogAttrs(ctx, slog.LevelInfo, "password changed", slog.String("jid", bare.String()))
	return nil
}

// remove handles XEP-0077 §3.2 for the home server: delete the account and
// everything stored for it, tell the modules, answer, then end every
// session of the user with <not-authorized/>.
func (m *Module) remove(ctx context.Context, iq *router.IQ) error {
	bare := iq.From.Bare()
	host, user := bare.Domainpart(), bare.Localpart()
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	err := m.users.DeleteUser(sctx, host, user)
	cancel()
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return stanza.NewError(stanza.RegistrationRequired, "")
	case err != nil:
		return err
	}
	m.metrics.removed.Inc()
	m.log.LogAttrs(ctx, slog.LevelInfo, "account removed", slog.String("jid", bare.String()))
	router.RunEvent(ctx, m.router, &m.router.Hooks().UserRemoved, &router.UserEvent{Host: host, Username: user})
	// The result must reach the client before its stream ends, so it goes
	// out here, ahead of the stream error. The router routes another
	// result when this handler returns; by then the session is closing and
	// drops it.
	reply := stanza.Result(iq.Stanza, nil)
	if reply.Attr("from") == "" {
		reply.SetAttr("from", iq.To.String())
	}
	resources := m.router.Resources(bare)
	for _, x := range resources {
		if x.JID.Equal(iq.From) {
			x.Session.Deliver(reply)
		}
	}
	for _, x := range resources {
		x.Session.Kick(stream.E(stream.NotAuthorized, "account removed"))
	}
	return nil
}
