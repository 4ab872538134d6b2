package muc

import (
	"golang.org/x/text/secure/precis"

	"github.com/meerkat-xmpp/meerkat/stanza"
)

// codeNickRewritten is XEP-0045 status 210: the service assigned or
// changed the occupant's nick, so the client must take its nick from the
// self-presence's 'from' rather than from what it asked for.
const codeNickRewritten = "210"

// enforceNick applies the PRECIS Nickname profile (RFC 8266 §2.3) to a
// requested nick. The resourcepart has already been through the
// OpaqueString profile when the JID was parsed; Nickname goes further
// (spaces collapsed and trimmed, NFKC), so "Alice  B " enters as
// "Alice B". A nick the profile refuses is jid-malformed (XEP-0045
// §7.2.1 calls a nick that is not acceptable to the service malformed).
func enforceNick(nick string) (string, *stanza.Error) {
	out, err := precis.Nickname.String(nick)
	if err != nil || out == "" {
		return "", stanza.NewError(stanza.JIDMalformed, "that nick is not acceptable (RFC 8266)")
	}
	return out, nil
}

// nickKey is the form two nicks are compared in (RFC 8266 §2.4: case
// folded as well), so that "Alice" and "alice" cannot both be in a room
// or registered by two users.
func nickKey(nick string) string {
	k, err := precis.Nickname.CompareKey(nick)
	if err != nil {
		return nick // not a nick the service let in; compare it as is
	}
	return k
}

// byNick returns the occupant whose nick compares equal to nick, or nil.
func (r *Room) byNick(nick string) *occupant {
	if o := r.nicks[nick]; o != nil {
		return o
	}
	return r.folded[nickKey(nick)]
}

// addNick puts o in the room under o.nick.
func (r *Room) addNick(o *occupant) {
	r.nicks[o.nick] = o
	r.folded[nickKey(o.nick)] = o
}

// dropNick takes o's nick out of the room.
func (r *Room) dropNick(o *occupant) {
	if r.nicks[o.nick] == o {
		delete(r.nicks, o.nick)
	}
	if k := nickKey(o.nick); r.folded[k] == o {
		delete(r.folded, k)
	}
}

// registeredNick returns the nick bare registered in the room, or "".
func (r *Room) registeredNick(bare string) string {
	return r.affs[bare].nick
}
