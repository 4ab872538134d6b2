package muc

import (
	"math/rand/v2"
	"testing"

	"github.com/meerkat-xmpp/meerkat/stanza"
)

func cond(e *stanza.Error) string {
	if e == nil {
		return "ok"
	}
	return string(e.Condition)
}

// TestCheckRole is the role half of the XEP-0045 §5.1 and §5.2 matrix.
func TestCheckRole(t *testing.T) {
	for _, tc := range []struct {
		name                string
		actorAff            Affiliation
		actorRole           Role
		targetAff           Affiliation
		targetRole, newRole Role
		want                string
	}{
		{"participant kicks", AffMember, RoleParticipant, AffNone, RoleParticipant, RoleNone, "forbidden"},
		{"visitor grants voice", AffNone, RoleVisitor, AffNone, RoleVisitor, RoleParticipant, "forbidden"},
		{"moderator kicks participant", AffNone, RoleModerator, AffNone, RoleParticipant, RoleNone, "ok"},
		{"moderator kicks visitor", AffMember, RoleModerator, AffNone, RoleVisitor, RoleNone, "ok"},
		{"moderator grants voice", AffNone, RoleModerator, AffNone, RoleVisitor, RoleParticipant, "ok"},
		{"moderator revokes voice", AffNone, RoleModerator, AffNone, RoleParticipant, RoleVisitor, "ok"},
		{"moderator kicks member above him", AffNone, RoleModerator, AffMember, RoleParticipant, RoleNone, "not-allowed"},
		{"moderator kicks admin", AffMember, RoleModerator, AffAdmin, RoleModerator, RoleNone, "forbidden"},
		{"admin kicks admin", AffAdmin, RoleModerator, AffAdmin, RoleModerator, RoleNone, "not-allowed"},
		{"admin kicks owner", AffAdmin, RoleModerator, AffOwner, RoleModerator, RoleNone, "not-allowed"},
		{"owner kicks owner", AffOwner, RoleModerator, AffOwner, RoleModerator, RoleNone, "not-allowed"},
		{"owner kicks member", AffOwner, RoleModerator, AffMember, RoleParticipant, RoleNone, "ok"},
		{"moderator grants moderator", AffMember, RoleModerator, AffNone, RoleParticipant, RoleModerator, "forbidden"},
		{"admin grants moderator", AffAdmin, RoleModerator, AffNone, RoleParticipant, RoleModerator, "ok"},
		{"owner grants moderator", AffOwner, RoleModerator, AffMember, RoleParticipant, RoleModerator, "ok"},
		{"admin revokes moderator of member", AffAdmin, RoleModerator, AffMember, RoleModerator, RoleParticipant, "ok"},
		{"owner revokes moderator of admin", AffOwner, RoleModerator, AffAdmin, RoleModerator, RoleParticipant, "not-allowed"},
		{"member moderator revokes moderator", AffMember, RoleModerator, AffNone, RoleModerator, RoleParticipant, "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cond(CheckRole(tc.actorAff, tc.actorRole, tc.targetAff, tc.targetRole, tc.newRole)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestCheckAffiliation is the affiliation half of the matrix.
func TestCheckAffiliation(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		actor, target, newAf Affiliation
		owners               int
		want                 string
	}{
		{"member bans", AffMember, AffNone, AffOutcast, 1, "forbidden"},
		{"none grants member", AffNone, AffNone, AffMember, 1, "forbidden"},
		{"outcast grants owner", AffOutcast, AffOutcast, AffOwner, 1, "forbidden"},
		{"admin grants member", AffAdmin, AffNone, AffMember, 1, "ok"},
		{"admin bans none", AffAdmin, AffNone, AffOutcast, 1, "ok"},
		{"admin bans member", AffAdmin, AffMember, AffOutcast, 1, "ok"},
		{"admin unbans", AffAdmin, AffOutcast, AffNone, 1, "ok"},
		{"admin grants admin", AffAdmin, AffMember, AffAdmin, 1, "not-allowed"},
		{"admin grants owner", AffAdmin, AffNone, AffOwner, 1, "not-allowed"},
		{"admin bans admin", AffAdmin, AffAdmin, AffOutcast, 1, "not-allowed"},
		{"admin demotes owner", AffAdmin, AffOwner, AffMember, 2, "not-allowed"},
		{"owner grants owner", AffOwner, AffMember, AffOwner, 1, "ok"},
		{"owner grants admin", AffOwner, AffNone, AffAdmin, 1, "ok"},
		{"owner bans admin", AffOwner, AffAdmin, AffOutcast, 1, "ok"},
		{"owner demotes another owner", AffOwner, AffOwner, AffAdmin, 2, "ok"},
		{"last owner steps down", AffOwner, AffOwner, AffAdmin, 1, "conflict"},
		{"last owner banned", AffOwner, AffOwner, AffOutcast, 1, "conflict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cond(CheckAffiliation(tc.actor, tc.target, tc.newAf, tc.owners)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDefaultRole(t *testing.T) {
	for _, tc := range []struct {
		aff       Affiliation
		moderated bool
		want      Role
	}{
		{AffOwner, false, RoleModerator}, {AffAdmin, true, RoleModerator}, {AffMember, true, RoleParticipant},
		{AffNone, false, RoleParticipant}, {AffNone, true, RoleVisitor}, {AffOutcast, false, RoleNone},
	} {
		if got := DefaultRole(tc.aff, tc.moderated); got != tc.want {
			t.Errorf("DefaultRole(%s, %v) = %s, want %s", tc.aff, tc.moderated, got, tc.want)
		}
	}
}

// affModel applies CheckAffiliation to a set of users as a room does.
type affModel map[int]Affiliation

func (m affModel) owners() int {
	n := 0
	for _, a := range m {
		if a == AffOwner {
			n++
		}
	}
	return n
}

// apply runs one admin operation; it reports whether it was allowed.
func (m affModel) apply(t *testing.T, actor, target int, newAff Affiliation) bool {
	before := m[actor]
	e := CheckAffiliation(m[actor], m[target], newAff, m.owners())
	if e != nil {
		return false
	}
	if newAff == AffOwner && m[target] != AffOwner && before != AffOwner {
		t.Fatalf("a %s granted ownership", before)
	}
	m[target] = newAff
	return true
}

// FuzzAffiliationOps checks, for any sequence of admin operations, that a
// room never ends up without an owner and that only owners grant or take
// away ownership and admin rights.
func FuzzAffiliationOps(f *testing.F) {
	f.Add([]byte{0, 1, 4, 1, 0, 1, 0, 0, 1})
	f.Add([]byte{0, 0, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		m := affModel{0: AffOwner, 1: AffNone, 2: AffMember, 3: AffAdmin, 4: AffOutcast}
		for i := 0; i+2 < len(ops); i += 3 {
			actor, target := int(ops[i]%5), int(ops[i+1]%5)
			newAff := Affiliation(ops[i+2] % 5)
			old, actorAff := m[target], m[actor]
			if m.apply(t, actor, target, newAff) && actorAff != AffOwner && (old >= AffAdmin || newAff >= AffAdmin) {
				t.Fatalf("a %s changed %s to %s", actorAff, old, newAff)
			}
			if m.owners() == 0 {
				t.Fatalf("no owner left after %v", ops[:i+3])
			}
		}
	})
}

// TestAffiliationProperty runs long random sequences of the fuzz model.
func TestAffiliationProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		m := affModel{0: AffOwner}
		for u := 1; u < 6; u++ {
			m[u] = Affiliation(rng.IntN(4)) // no extra owners at the start
		}
		for range 50 {
			m.apply(t, rng.IntN(6), rng.IntN(6), Affiliation(rng.IntN(5)))
			if m.owners() == 0 {
				t.Fatal("no owner left")
			}
		}
	}
}
