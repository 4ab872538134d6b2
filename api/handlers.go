package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/auth"
	"github.com/meerkat-xmpp/meerkat/router"
	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/storage"
	"github.com/meerkat-xmpp/meerkat/stream"
)

const nsClient = "jabber:client"

// MessageRequest is the body of POST /api/v1/messages.
type MessageRequest struct {
	// From is the sender: a local account (bare or full JID) or a served
	// domain; "" sends from the configured service JID.
	From string `json:"from,omitempty"`
	// To is the recipient's JID. Required.
	To string `json:"to"`
	// Body is the message text. Body or Subject is required.
	Body string `json:"body,omitempty"`
	// Subject is the optional message subject.
	Subject string `json:"subject,omitempty"`
	// Type is "chat" (default), "normal" or "headline".
	Type string `json:"type,omitempty"`
	// ID is the stanza id; "" picks a random one.
	ID string `json:"id,omitempty"`
}

// MessageResponse answers POST /api/v1/messages and room messages.
type MessageResponse struct {
	// ID is the stanza id of the message sent.
	ID string `json:"id"`
}

// sendMessage routes a message as if the sender's session had sent it:
// a user sender passes the UserSend hook (blocking, say), and an offline
// recipient's message goes to offline storage through the usual path.
func (v *v1) sendMessage(w http.ResponseWriter, r *http.Request, body []byte) {
	var req MessageRequest
	if !decode(w, body, &req) {
		return
	}
	if req.To == "" {
		writeError(w, CodeInvalidRequest, "to is required")
		return
	}
	if req.Body == "" && req.Subject == "" {
		writeError(w, CodeInvalidRequest, "body or subject is required")
		return
	}
	switch req.Type {
	case "":
		req.Type = stanza.MessageChat
	case stanza.MessageChat, stanza.MessageNormal, stanza.MessageHeadline:
	default:
		writeError(w, CodeInvalidRequest, "type must be chat, normal or headline")
		return
	}
	to, err := jid.Parse(req.To)
	if err != nil {
		writeError(w, CodeInvalidJID, "to: "+err.Error())
		return
	}
	from := v.o.ServiceJID
	if req.From != "" {
		if from, err = jid.Parse(req.From); err != nil {
			writeError(w, CodeInvalidJID, "from: "+err.Error())
			return
		}
		if !v.o.Router.IsLocal(from.Domainpart()) {
			writeError(w, CodeUnknownHost, "from: "+from.Domainpart()+" is not a domain of this server")
			return
		}
		if from.Localpart() != "" {
			ok, err := v.exists(r.Context(), from)
			if err != nil {
				v.fault(w, r, "user lookup", err)
				return
			}
			if !ok {
				writeError(w, CodeUserNotFound, "from: no account "+from.Bare().String())
				return
			}
		}
	}
	if req.ID == "" {
		req.ID = newID()
	}
	el := stream.NewElement(nsClient, "message", "from", from.String(), "to", to.String(), "type", req.Type, "id", req.ID)
	if req.Subject != "" {
		el.AddChild(stream.NewElement(nsClient, "subject").AddText(req.Subject))
	}
	if req.Body != "" {
		el.AddChild(stream.NewElement(nsClient, "body").AddText(req.Body))
	}
	rt := v.o.Router
	ctx := context.WithoutCancel(r.Context()) // delivery must not stop when the client hangs up
	if from.Localpart() != "" {
		if h := &rt.Hooks().UserSend; !h.Empty() {
			p := &router.Packet{Kind: stanza.KindMessage, Type: req.Type, From: from, To: to, Stanza: el}
			if rt.RunStanza(ctx, h, p) != router.Pass {
				writeJSON(w, http.StatusAccepted, MessageResponse{ID: req.ID})
				return
			}
		}
	}
	rt.Route(ctx, el)
	writeJSON(w, http.StatusAccepted, MessageResponse{ID: req.ID})
}

// RoomMessageRequest is the body of POST /api/v1/rooms/{room}/messages.
type RoomMessageRequest struct {
	// Body is the message text. Required.
	Body string `json:"body"`
	// Nick is the occupant nick to post as; "" uses the service's.
	Nick string `json:"nick,omitempty"`
}

func (v *v1) postToRoom(w http.ResponseWriter, r *http.Request, body []byte) {
	var req RoomMessageRequest
	if !decode(w, body, &req) {
		return
	}
	if req.Body == "" {
		writeError(w, CodeInvalidRequest, "body is required")
		return
	}
	room, err := jid.Parse(r.PathValue("room"))
	if err != nil || room.Localpart() == "" || room.Resourcepart() != "" {
		writeError(w, CodeInvalidJID, "the room must be a bare room JID such as lobby@conference.example.com")
		return
	}
	if v.o.Rooms == nil {
		writeError(w, CodeNotImplemented, "this server does not run the MUC module")
		return
	}
	nick := req.Nick
	if nick == "" {
		nick = v.o.ServiceNick
	}
	err = v.o.Rooms.PostToRoom(context.WithoutCancel(r.Context()), room, nick, req.Body)
	switch {
	case errors.Is(err, ErrRoomNotFound):
		writeError(w, CodeRoomNotFound, "no room "+room.String())
	case err != nil:
		v.fault(w, r, "room post", err)
	default:
		writeJSON(w, http.StatusAccepted, MessageResponse{ID: newID()})
	}
}

// Session is one bound resource in GET /api/v1/sessions.
type Session struct {
	// JID is the session's full JID.
	JID string `json:"jid"`
	// Available is true once the session sent available presence.
	Available bool `json:"available"`
	// Priority is the presence priority.
	Priority int `json:"priority"`
}

// SessionList answers GET /api/v1/sessions.
type SessionList struct {
	Sessions []Session `json:"sessions"`
}

func (v *v1) listSessions(w http.ResponseWriter, r *http.Request, _ []byte) {
	list := SessionList{Sessions: []Session{}}
	var filter jid.JID
	if u := r.URL.Query().Get("user"); u != "" {
		j, err := jid.Parse(u)
		if err != nil {
			writeError(w, CodeInvalidJID, "user: "+err.Error())
			return
		}
		filter = j.Bare()
	}
	v.o.Router.Each(func(x router.Resource) {
		if filter.Domainpart() != "" && !x.JID.Bare().Equal(filter) {
			return
		}
		list.Sessions = append(list.Sessions, Session{JID: x.JID.String(), Available: x.Available, Priority: x.Priority})
	})
	slices.SortFunc(list.Sessions, func(a, b Session) int { return strings.Compare(a.JID, b.JID) })
	writeJSON(w, http.StatusOK, list)
}

// UserList answers GET /api/v1/users.
type UserList struct {
	// Users are bare JIDs, by host in configuration order, then by name.
	Users []string `json:"users"`
}

func (v *v1) listUsers(w http.ResponseWriter, r *http.Request, _ []byte) {
	hosts := v.o.Hosts
	if h := r.URL.Query().Get("host"); h != "" {
		if !v.o.Router.IsLocal(h) {
			writeError(w, CodeUnknownHost, h+" is not a domain of this server")
			return
		}
		hosts = []string{h}
	}
	list := UserList{Users: []string{}}
	for _, h := range hosts {
		ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
		users, err := v.o.Users.ListUsers(ctx, h)
		cancel()
		if err != nil {
			v.fault(w, r, "user list", err)
			return
		}
		for _, u := range users {
			list.Users = append(list.Users, u+"@"+h)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

// UserRequest is the body of POST /api/v1/users.
type UserRequest struct {
	// JID is the new account's bare JID on a served domain. Required.
	JID string `json:"jid"`
	// Password is the new account's password. Required.
	Password string `json:"password"`
}

// UserResponse answers POST /api/v1/users.
type UserResponse struct {
	// JID is the account created, normalized (PRECIS).
	JID string `json:"jid"`
}

// PasswordRequest is the body of PUT /api/v1/users/{jid}/password.
type PasswordRequest struct {
	// Password is the new password. Required.
	Password string `json:"password"`
}

func (v *v1) createUser(w http.ResponseWriter, r *http.Request, body []byte) {
	var req UserRequest
	if !decode(w, body, &req) {
		return
	}
	acct, ok := v.account(w, req.JID)
	if !ok {
		return
	}
	creds, ok := v.credentials(w, req.Password)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), storeTimeout)
	defer cancel()
	switch err := v.o.Users.CreateUser(ctx, acct.Domainpart(), acct.Localpart(), creds); {
	case errors.Is(err, storage.ErrExists):
		writeError(w, CodeUserExists, acct.String()+" already exists")
	case err != nil:
		v.fault(w, r, "user create", err)
	default:
		v.log.LogAttrs(r.Context(), slogInfo, "api: account created", slogJID(acct))
		writeJSON(w, http.StatusCreated, UserResponse{JID: acct.String()})
	}
}

// deleteUser removes the account and everything stored for it, tells the
// modules (UserRemoved) and ends its sessions with <not-authorized/>, as
// XEP-0077 account removal does.
func (v *v1) deleteUser(w http.ResponseWriter, r *http.Request, _ []byte) {
	acct, ok := v.account(w, r.PathValue("jid"))
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), storeTimeout)
	defer cancel()
	host, user := acct.Domainpart(), acct.Localpart()
	switch err := v.o.Users.DeleteUser(ctx, host, user); {
	case errors.Is(err, storage.ErrNotFound):
		writeError(w, CodeUserNotFound, "no account "+acct.String())
		return
	case err != nil:
		v.fault(w, r, "user delete", err)
		return
	}
	rt := v.o.Router
	router.RunEvent(ctx, rt, &rt.Hooks().UserRemoved, &router.UserEvent{Host: host, Username: user})
	for _, x := range rt.Resources(acct) {
		x.Session.Kick(stream.E(stream.NotAuthorized, "account removed"))
	}
	v.log.LogAttrs(r.Context(), slogInfo, "api: account removed", slogJID(acct))
	w.WriteHeader(http.StatusNoContent)
}

// setPassword replaces the account's keys. Sessions already logged in
// stay, as with XEP-0077 password changes.
func (v *v1) setPassword(w http.ResponseWriter, r *http.Request, body []byte) {
	acct, ok := v.account(w, r.PathValue("jid"))
	if !ok {
		return
	}
	var req PasswordRequest
	if !decode(w, body, &req) {
		return
	}
	creds, ok := v.credentials(w, req.Password)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), storeTimeout)
	defer cancel()
	switch err := v.o.Users.SetCredentials(ctx, acct.Domainpart(), acct.Localpart(), creds); {
	case errors.Is(err, storage.ErrNotFound):
		writeError(w, CodeUserNotFound, "no account "+acct.String())
	case err != nil:
		v.fault(w, r, "password change", err)
	default:
		v.log.LogAttrs(r.Context(), slogInfo, "api: password changed", slogJID(acct))
		w.WriteHeader(http.StatusNoContent)
	}
}

// account parses s as the bare JID of an account on a served domain,
// normalized with PRECIS as logins are.
func (v *v1) account(w http.ResponseWriter, s string) (jid.JID, bool) {
	j, err := jid.Parse(s)
	if err != nil || j.Localpart() == "" || j.Resourcepart() != "" {
		writeError(w, CodeInvalidJID, "want an account's bare JID (user@host), got "+quote(s))
		return jid.JID{}, false
	}
	if !v.o.Router.IsLocal(j.Domainpart()) {
		writeError(w, CodeUnknownHost, j.Domainpart()+" is not a domain of this server")
		return jid.JID{}, false
	}
	return j, true
}

// credentials derives SCRAM keys from password as `meerkat user add` does.
func (v *v1) credentials(w http.ResponseWriter, password string) (storage.Credentials, bool) {
	if password == "" {
		writeError(w, CodeInvalidRequest, "password is required")
		return storage.Credentials{}, false
	}
	creds, err := auth.DeriveCredentials(password, v.o.SCRAMIterations)
	if err != nil {
		writeError(w, CodeInvalidRequest, "password: "+err.Error())
		return storage.Credentials{}, false
	}
	return creds, true
}

func (v *v1) exists(ctx context.Context, j jid.JID) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	return v.o.Users.UserExists(ctx, j.Domainpart(), j.Localpart())
}
