package storage

import "time"

// Operation names passed to an Observer. They are a small fixed set so that
// a metrics label built from them stays bounded; a backend never invents
// names of its own.
const (
	OpMigrate        = "migrate"
	OpUserCreate     = "user_create"
	OpUserDelete     = "user_delete"
	OpUserExists     = "user_exists"
	OpUserList       = "user_list"
	OpCredentialsGet = "credentials_get"
	OpCredentialsSet = "credentials_set"

	OpRosterGet        = "roster_get"         // Roster.RosterItems
	OpRosterItemGet    = "roster_item_get"    // Roster.RosterItem
	OpRosterItemSet    = "roster_item_set"    // Roster.SetRosterItem
	OpRosterItemDelete = "roster_item_delete" // Roster.DeleteRosterItem
	OpRosterVersionGet = "roster_version_get" // Roster.RosterVersion
	OpOfflineStore     = "offline_store"      // Offline.StoreOffline
	OpOfflineList      = "offline_list"       // Offline.OfflineMessages
	OpOfflineDelete    = "offline_delete"     // Offline.DeleteOffline
	OpOfflineCount     = "offline_count"      // Offline.CountOffline
	OpVCardGet         = "vcard_get"          // VCards.VCard
	OpVCardSet         = "vcard_set"          // VCards.SetVCard
	OpPrivateGet       = "private_get"        // PrivateXML.PrivateXML
	OpPrivateSet       = "private_set"        // PrivateXML.SetPrivateXML
	OpBlocklistGet     = "blocklist_get"      // Blocklists.Blocklist
	OpBlocklistBlock   = "blocklist_block"    // Blocklists.Block
	OpBlocklistUnblock = "blocklist_unblock"  // Blocklists.Unblock
	OpLastActivityGet  = "last_activity_get"  // LastActivity.LastActivity
	OpLastActivitySet  = "last_activity_set"  // LastActivity.SetLastActivity
	OpRoomList         = "room_list"          // Rooms.Rooms
	OpRoomSave         = "room_save"          // Rooms.SaveRoom
	OpRoomDelete       = "room_delete"        // Rooms.DeleteRoom
	OpRoomAffList      = "room_aff_list"      // Rooms.RoomAffiliations
	OpRoomAffSet       = "room_aff_set"       // Rooms.SetRoomAffiliation
	OpRoomHistoryGet   = "room_history_get"   // Rooms.RoomHistory
	OpRoomHistorySet   = "room_history_set"   // Rooms.SetRoomHistory
)

// Ops returns every operation name a backend may report, so that a metrics
// collector can create its series before the first call.
func Ops() []string {
	return []string{
		OpMigrate,
		OpUserCreate,
		OpUserDelete,
		OpUserExists,
		OpUserList,
		OpCredentialsGet,
		OpCredentialsSet,
		OpRosterGet,
		OpRosterItemGet,
		OpRosterItemSet,
		OpRosterItemDelete,
		OpRosterVersionGet,
		OpOfflineStore,
		OpOfflineList,
		OpOfflineDelete,
		OpOfflineCount,
		OpVCardGet,
		OpVCardSet,
		OpPrivateGet,
		OpPrivateSet,
		OpBlocklistGet,
		OpBlocklistBlock,
		OpBlocklistUnblock,
		OpLastActivityGet,
		OpLastActivitySet,
		OpRoomList,
		OpRoomSave,
		OpRoomDelete,
		OpRoomAffList,
		OpRoomAffSet,
		OpRoomHistoryGet,
		OpRoomHistorySet,
	}
}

// Observer is told, after every store operation, its name (one of the Op
// constants), how long it took and the error it returned. err is the value
// the caller got, so ErrNotFound and ErrExists arrive as errors too; an
// observer that counts failures should treat those as ordinary outcomes.
// It is called on the caller's goroutine and must be fast and safe for
// concurrent use.
type Observer func(op string, d time.Duration, err error)
