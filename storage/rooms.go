package storage

import "context"

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

// Rooms stores persistent MUC rooms and their affiliations. Room names and
// JIDs are compared byte for byte; lists come back sorted by name or JID.
type Rooms interface {
	// Rooms returns every stored room of service, sorted by name.
	Rooms(ctx context.Context, service string) ([]StoredRoom, error)
	// SaveRoom creates or replaces a room (not its affiliations).
	SaveRoom(ctx context.Context, r StoredRoom) error
	// DeleteRoom removes a room and all its affiliations; ErrNotFound if
	// the room was not stored.
	DeleteRoom(ctx context.Context, service, name string) error
	// RoomAffiliations returns a room's affiliations, sorted by JID.
	RoomAffiliations(ctx context.Context, service, name string) ([]RoomAffiliation, error)
	// SetRoomAffiliation creates, replaces or (for affiliation "none" with
	// no nick) removes one user's row. The room need not be stored yet.
	SetRoomAffiliation(ctx context.Context, service, name string, a RoomAffiliation) error
}
