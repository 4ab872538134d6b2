package storage

import (
	"context"
	"time"
)

// StoredRoom is a persistent multi-user chat room (XEP-0045) as a MUC
// service keeps it across restarts. The service owns the meaning of Config
// (its serialized room configuration); the store keeps the bytes.
type StoredRoom struct {
	Service string // the service domain, e.g. conference.example.org
	Name    string // the room's localpart, normalized
	Config  []byte // the service's serialized configuration
	Subject string // the current subject, "" for none
	// SubjectBy is the nick that set the subject ("" when the room did).
	SubjectBy string
}

// RoomAffiliation is one user's standing in a room (XEP-0045 §5.2): owner,
// admin, member or outcast, plus the nick the user registered (§7.10).
// A user with affiliation "none" and no nick has no row.
type RoomAffiliation struct {
	JID         string // bare JID, normalized
	Affiliation string // "owner", "admin", "member", "outcast" or "none"
	Reason      string
	Nick        string // registered nick, "" for none
}

// RoomMessage is one message of a persistent room's discussion history
// (XEP-0045 §7.2.15), kept so that a restart does not lose it.
type RoomMessage struct {
	At     time.Time // when the room broadcast it; stored to the microsecond
	Stanza []byte    // the message as the room broadcast it, serialized, with no 'to'
}

// Rooms stores persistent MUC rooms and their affiliations. Room names and
// JIDs are compared byte for byte; lists come back sorted by name or JID.
type Rooms interface {
	// Rooms returns every stored room of service, sorted by name.
	Rooms(ctx context.Context, service string) ([]StoredRoom, error)
	// SaveRoom creates or replaces a room (not its affiliations).
	SaveRoom(ctx context.Context, r StoredRoom) error
	// DeleteRoom removes a room, all its affiliations and its history;
	// ErrNotFound if the room was not stored.
	DeleteRoom(ctx context.Context, service, name string) error
	// RoomAffiliations returns a room's affiliations, sorted by JID.
	RoomAffiliations(ctx context.Context, service, name string) ([]RoomAffiliation, error)
	// SetRoomAffiliation creates, replaces or (for affiliation "none" with
	// no nick) removes one user's row. The room need not be stored yet.
	SetRoomAffiliation(ctx context.Context, service, name string, a RoomAffiliation) error
	// RoomHistory returns a room's stored history, oldest first; empty,
	// not an error, for a room with none.
	RoomHistory(ctx context.Context, service, name string) ([]RoomMessage, error)
	// SetRoomHistory replaces a room's stored history with msgs, oldest
	// first, in one transaction (nil or empty clears it). The room need
	// not be stored yet.
	SetRoomHistory(ctx context.Context, service, name string, msgs []RoomMessage) error
}
