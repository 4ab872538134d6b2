package storage

import (
	"context"
	"errors"
	"time"
)

// The per-user stores below (Roster, Offline, VCards, PrivateXML,
// Blocklists, LastActivity) share these rules:
//
//   - Data is keyed by host and the (already normalized) localpart, as in
//     Users, and compared byte for byte; JIDs and namespaces inside it too.
//   - The account need not exist in Users: with an external credential
//     backend (HTTP, WordPress, ...) it never does. Users.DeleteUser removes
//     everything stored for an account it holds, in one transaction.
//   - Byte slices are copied in and out: the store keeps no alias of the
//     caller's slices and hands out none of its own.
//   - Lists come back as empty, non-nil slices when there is nothing.
//   - Times keep microsecond precision (what PostgreSQL stores) and come
//     back in UTC.
//   - Text holds no NUL character (XML 1.0 cannot carry one).

// ErrLimit is returned when a per-user bound (offline queue size, ...) is
// reached; the caller answers with the error its XEP names.
var ErrLimit = errors.New("storage: limit reached")

// Subscription states of RFC 6121 §2.1.2.5 plus the pending flags of
// Appendix A, kept per roster item.
const (
	SubNone = "none"
	SubTo   = "to"
	SubFrom = "from"
	SubBoth = "both"
)

// RosterItem is one contact of a user's roster (RFC 6121 §2.1.2).
type RosterItem struct {
	JID          string // the contact's bare JID, normalized
	Name         string // the user-assigned handle, "" for none
	Subscription string // SubNone, SubTo, SubFrom or SubBoth; anything else is refused
	Ask          bool   // pending out: we asked the contact (ask='subscribe')
	PendingIn    bool   // pending in: the contact asked us, not yet answered
	PreApproved  bool   // RFC 6121 §3.4 subscription pre-approval
	// Groups are the item's groups, valid UTF-8. The store keeps them
	// sorted by bytes and without duplicates whatever order they came in
	// (it sorts a copy, never the caller's slice), and returns nil for none.
	Groups []string
	// InStanza is the serialized inbound subscribe request kept while
	// PendingIn, so it can be delivered again at the next login (§3.1.3).
	// nil when empty.
	InStanza []byte
}

// Roster stores rosters with a per-user version for XEP-0237.
//
// The version is a decimal counter per user: "" until the user's roster
// first changes, then "1", "2", ... Every successful SetRosterItem and
// DeleteRosterItem adds one, even one that stores an identical item; a
// failed call changes nothing. A change and its version are written in one
// transaction, and RosterItems reads both from one snapshot, so a version
// always names exactly the items returned with it.
type Roster interface {
	// RosterItems returns all items of a user, sorted by JID (byte order),
	// and the roster version ("" when the user never had a roster).
	RosterItems(ctx context.Context, host, user string) ([]RosterItem, string, error)
	// RosterItem returns one item; ErrNotFound if absent.
	RosterItem(ctx context.Context, host, user, contact string) (RosterItem, error)
	// SetRosterItem inserts or replaces the item for item.JID and returns
	// the new version.
	SetRosterItem(ctx context.Context, host, user string, item RosterItem) (string, error)
	// DeleteRosterItem removes an item and returns the new version;
	// ErrNotFound if absent (and the version stays).
	DeleteRosterItem(ctx context.Context, host, user, contact string) (string, error)
	// RosterVersion returns the current version ("" if none).
	RosterVersion(ctx context.Context, host, user string) (string, error)
}

// OfflineMessage is a message kept for a user who was offline (XEP-0160).
type OfflineMessage struct {
	// ID is assigned by StoreOffline (the value passed in is ignored).
	// IDs increase in the order messages are stored and are never reused.
	ID     int64
	Stamp  time.Time // when the server received it (XEP-0203 delay)
	From   string
	Stanza []byte // the serialized <message/>
}

// Offline stores messages for offline users.
type Offline interface {
	// StoreOffline appends a message unless the user already has max
	// messages stored (max <= 0: no limit), then it returns ErrLimit. The
	// count and the insert are one transaction: concurrent calls for one
	// user never store more than max. A user's messages are committed in
	// ID order, so DeleteOffline up to the last ID read never removes a
	// message the reader has not seen.
	StoreOffline(ctx context.Context, host, user string, m OfflineMessage, max int) error
	// OfflineMessages returns the stored messages oldest (lowest ID) first.
	OfflineMessages(ctx context.Context, host, user string) ([]OfflineMessage, error)
	// DeleteOffline removes messages with ID <= upTo; none is no error.
	DeleteOffline(ctx context.Context, host, user string, upTo int64) error
	// CountOffline returns how many messages are stored.
	CountOffline(ctx context.Context, host, user string) (int, error)
}

// VCards store XEP-0054 vCards as serialized <vCard/> elements.
type VCards interface {
	// VCard returns the stored element; ErrNotFound if none.
	VCard(ctx context.Context, host, user string) ([]byte, error)
	// SetVCard replaces the stored element.
	SetVCard(ctx context.Context, host, user string, vcard []byte) error
}

// PrivateXML stores XEP-0049 private data by namespace.
type PrivateXML interface {
	// PrivateXML returns the stored element for ns; ErrNotFound if none.
	PrivateXML(ctx context.Context, host, user, ns string) ([]byte, error)
	// SetPrivateXML replaces the element stored for ns, leaving other
	// namespaces alone.
	SetPrivateXML(ctx context.Context, host, user, ns string, data []byte) error
}

// Blocklists store XEP-0191 block lists.
type Blocklists interface {
	// Blocklist returns the blocked JIDs, sorted by bytes.
	Blocklist(ctx context.Context, host, user string) ([]string, error)
	// Block adds JIDs (already present ones are kept once); none is a no-op.
	Block(ctx context.Context, host, user string, jids []string) error
	// Unblock removes JIDs, ignoring ones not blocked; none (nil or empty)
	// means all.
	Unblock(ctx context.Context, host, user string, jids []string) error
}

// LastActivity stores when a user last logged out and their status
// (XEP-0012).
type LastActivity interface {
	// LastActivity returns the time and status; ErrNotFound if never seen.
	LastActivity(ctx context.Context, host, user string) (time.Time, string, error)
	// SetLastActivity records a logout, replacing the previous one.
	SetLastActivity(ctx context.Context, host, user string, at time.Time, status string) error
}
