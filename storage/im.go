package storage

import (
	"context"
	"errors"
	"time"
)

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
	JID          string   // the contact's bare JID, normalized
	Name         string   // the user-assigned handle, "" for none
	Subscription string   // SubNone, SubTo, SubFrom or SubBoth
	Ask          bool     // pending out: we asked the contact (ask='subscribe')
	PendingIn    bool     // pending in: the contact asked us, not yet answered
	PreApproved  bool     // RFC 6121 §3.4 subscription pre-approval
	Groups       []string // sorted, no duplicates
	// InStanza is the serialized inbound subscribe request kept while
	// PendingIn, so it can be delivered again at the next login (§3.1.3).
	InStanza []byte
}

// Roster stores rosters with a per-user version for XEP-0237.
type Roster interface {
	// RosterItems returns all items of a user, sorted by JID, and the roster
	// version ("" when the user never had a roster).
	RosterItems(ctx context.Context, host, user string) ([]RosterItem, string, error)
	// RosterItem returns one item; ErrNotFound if absent.
	RosterItem(ctx context.Context, host, user, contact string) (RosterItem, error)
	// SetRosterItem inserts or replaces an item and returns the new version.
	SetRosterItem(ctx context.Context, host, user string, item RosterItem) (string, error)
	// DeleteRosterItem removes an item and returns the new version;
	// ErrNotFound if absent.
	DeleteRosterItem(ctx context.Context, host, user, contact string) (string, error)
	// RosterVersion returns the current version ("" if none).
	RosterVersion(ctx context.Context, host, user string) (string, error)
}

// OfflineMessage is a message kept for a user who was offline (XEP-0160).
type OfflineMessage struct {
	ID     int64
	Stamp  time.Time // when the server received it (XEP-0203 delay)
	From   string
	Stanza []byte // the serialized <message/>
}

// Offline stores messages for offline users.
type Offline interface {
	// StoreOffline appends a message unless the user already has max
	// messages stored (max <= 0: no limit), then it returns ErrLimit.
	StoreOffline(ctx context.Context, host, user string, m OfflineMessage, max int) error
	// OfflineMessages returns the stored messages oldest first.
	OfflineMessages(ctx context.Context, host, user string) ([]OfflineMessage, error)
	// DeleteOffline removes messages with ID <= upTo.
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
	// SetPrivateXML replaces the element stored for ns.
	SetPrivateXML(ctx context.Context, host, user, ns string, data []byte) error
}

// Blocklists store XEP-0191 block lists.
type Blocklists interface {
	// Blocklist returns the blocked JIDs, sorted.
	Blocklist(ctx context.Context, host, user string) ([]string, error)
	// Block adds JIDs (already present ones are kept once).
	Block(ctx context.Context, host, user string, jids []string) error
	// Unblock removes JIDs; none means all.
	Unblock(ctx context.Context, host, user string, jids []string) error
}

// LastActivity stores when a user last logged out and their status
// (XEP-0012).
type LastActivity interface {
	// LastActivity returns the time and status; ErrNotFound if never seen.
	LastActivity(ctx context.Context, host, user string) (time.Time, string, error)
	// SetLastActivity records a logout.
	SetLastActivity(ctx context.Context, host, user string, at time.Time, status string) error
}
