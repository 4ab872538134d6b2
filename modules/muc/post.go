package muc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"mellium.im/xmpp/jid"

	"github.com/meerkat-xmpp/meerkat/stanza"
	"github.com/meerkat-xmpp/meerkat/stream"
)

// ErrRoomNotFound is what PostToRoom returns for a room that does not exist.
var ErrRoomNotFound = errors.New("muc: no such room")

// PostToRoom broadcasts a groupchat message with body into room as nick,
// for a backend app posting through the HTTP API (the seed's server-side
// push into a channel). The poster is a service occupant: it needs no
// session in the room, the room's voice rules do not apply to it, and the
// message goes into the room's history like any other.
func (m *Module) PostToRoom(ctx context.Context, room jid.JID, nick, body string) error {
	m.mu.Lock()
	s := m.services[room.Domainpart()]
	m.mu.Unlock()
	if s == nil || room.Localpart() == "" || nick == "" {
		return ErrRoomNotFound
	}
	r := s.rooms.Get(room.Localpart())
	if r == nil {
		return ErrRoomNotFound
	}
	var id [8]byte
	rand.Read(id[:])
	el := stream.NewElement(stream.NSClient, "message", "type", stanza.MessageGroupchat, "id", "api-"+hex.EncodeToString(id[:]))
	el.AddChild(stream.NewElement(stream.NSClient, "body").AddText(body))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return ErrRoomNotFound
	}
	r.post(messageFrom(el, r.occupantJID(nick), stanza.MessageGroupchat), true)
	return nil
}
