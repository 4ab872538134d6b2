package muc

import "github.com/meerkat-xmpp/meerkat/stanza"

// Affiliation is a user's long-lived standing in a room (XEP-0045 §5.2),
// ordered so that a larger value ranks higher.
type Affiliation uint8

// The affiliations of XEP-0045 §5.2, lowest first.
const (
	AffOutcast Affiliation = iota
	AffNone
	AffMember
	AffAdmin
	AffOwner
)

var affNames = [...]string{"outcast", "none", "member", "admin", "owner"}

// String is the affiliation's name in XEP-0045.
func (a Affiliation) String() string { return affNames[a] }

// ParseAffiliation reads an affiliation name.
func ParseAffiliation(s string) (Affiliation, bool) {
	for i, n := range affNames {
		if n == s {
			return Affiliation(i), true
		}
	}
	return 0, false
}

// Role is an occupant's standing while in the room (XEP-0045 §5.1).
type Role uint8

// The roles of XEP-0045 §5.1, lowest first.
const (
	RoleNone Role = iota
	RoleVisitor
	RoleParticipant
	RoleModerator
)

var roleNames = [...]string{"none", "visitor", "participant", "moderator"}

// String is the role's name in XEP-0045.
func (r Role) String() string { return roleNames[r] }

// ParseRole reads a role name.
func ParseRole(s string) (Role, bool) {
	for i, n := range roleNames {
		if n == s {
			return Role(i), true
		}
	}
	return 0, false
}

// DefaultRole is the role an occupant gets on entering (XEP-0045 §5.1,
// table "Default Roles").
func DefaultRole(a Affiliation, moderated bool) Role {
	switch a {
	case AffOwner, AffAdmin:
		return RoleModerator
	case AffMember:
		return RoleParticipant
	case AffNone:
		if moderated {
			return RoleVisitor
		}
		return RoleParticipant
	}
	return RoleNone
}

func errNotAllowed() *stanza.Error { return stanza.NewError(stanza.NotAllowed, "") }
func errForbidden() *stanza.Error  { return stanza.NewError(stanza.Forbidden, "") }

// CheckRole says whether an occupant (actorAff, actorRole) may give an
// occupant (targetAff, targetRole) the role newRole, as XEP-0045 §5.1.2,
// §8 and §9 have it: moderators kick and grant or revoke voice; only
// admins and owners grant or revoke moderator; nobody lowers the role of
// an admin or owner, or of someone ranked above them. nil means allowed.
func CheckRole(actorAff Affiliation, actorRole Role, targetAff Affiliation, targetRole Role, newRole Role) *stanza.Error {
	if actorRole != RoleModerator {
		return errForbidden()
	}
	if newRole == RoleModerator || targetRole == RoleModerator {
		if actorAff < AffAdmin {
			return errForbidden()
		}
	}
	if newRole < targetRole && (targetAff >= AffAdmin || targetAff > actorAff) {
		return errNotAllowed()
	}
	return nil
}

// CheckAffiliation says whether a user with affiliation actor may change
// a user's affiliation from target to newAff (XEP-0045 §9 and §10):
// admins manage members and outcasts below admin; owners manage everyone.
// owners is the number of owners now; the last owner cannot go (conflict,
// §10.6), so a room never loses its owner. nil means allowed.
func CheckAffiliation(actor, target, newAff Affiliation, owners int) *stanza.Error {
	switch {
	case actor < AffAdmin:
		return errForbidden()
	case actor == AffAdmin && (target >= AffAdmin || newAff >= AffAdmin):
		return errNotAllowed()
	case target == AffOwner && newAff != AffOwner && owners <= 1:
		return stanza.NewError(stanza.Conflict, "a room keeps at least one owner")
	}
	return nil
}
