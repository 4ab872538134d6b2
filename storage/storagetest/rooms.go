package storagetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

var roomTests = []namedTest{
	{"Lifecycle", testRooms},
	{"Affiliations", testRoomAffiliations},
	{"Isolation", testRoomIsolation},
}

const svc = "conference.example.org"

func mustRooms(t *testing.T, s storage.Rooms, service string, want ...storage.StoredRoom) {
	t.Helper()
	got, err := s.Rooms(t.Context(), service)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("Rooms: nil slice, want non-nil")
	}
	if len(want) == 0 {
		want = []storage.StoredRoom{}
	}
	if !slices.EqualFunc(got, want, func(a, b storage.StoredRoom) bool {
		return a.Service == b.Service && a.Name == b.Name && string(a.Config) == string(b.Config) &&
			a.Subject == b.Subject && a.SubjectBy == b.SubjectBy
	}) {
		t.Fatalf("Rooms(%s):\n got %+v\nwant %+v", service, got, want)
	}
}

func mustAffs(t *testing.T, s storage.Rooms, service, name string, want ...storage.RoomAffiliation) {
	t.Helper()
	got, err := s.RoomAffiliations(t.Context(), service, name)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("RoomAffiliations: nil slice, want non-nil")
	}
	if len(want) == 0 {
		want = []storage.RoomAffiliation{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("RoomAffiliations(%s, %s):\n got %+v\nwant %+v", service, name, got, want)
	}
}

func testRooms(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustRooms(t, s, svc)
	b := storage.StoredRoom{Service: svc, Name: "b", Config: []byte(`{"name":"B"}`)}
	a := storage.StoredRoom{Service: svc, Name: "a", Config: []byte(`{"name":"A & <co>"}`), Subject: "Hello ünïcode", SubjectBy: "alice"}
	for _, r := range []storage.StoredRoom{b, a} {
		if err := s.SaveRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mustRooms(t, s, svc, a, b)
	// Saving again replaces config and subject.
	a.Config, a.Subject, a.SubjectBy = []byte(`{}`), "", ""
	if err := s.SaveRoom(ctx, a); err != nil {
		t.Fatal(err)
	}
	mustRooms(t, s, svc, a, b)
	if err := s.DeleteRoom(ctx, svc, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRoom(ctx, svc, "a"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second DeleteRoom: %v, want ErrNotFound", err)
	}
	mustRooms(t, s, svc, b)
}

func testRoomAffiliations(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if err := s.SaveRoom(ctx, storage.StoredRoom{Service: svc, Name: "r", Config: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	mustAffs(t, s, svc, "r")
	owner := storage.RoomAffiliation{JID: "owner@example.org", Affiliation: "owner"}
	bad := storage.RoomAffiliation{JID: "bad@example.org", Affiliation: "outcast", Reason: "spam"}
	nick := storage.RoomAffiliation{JID: "nick@example.org", Affiliation: "none", Nick: "Nicky"}
	for _, a := range []storage.RoomAffiliation{owner, bad, nick} {
		if err := s.SetRoomAffiliation(ctx, svc, "r", a); err != nil {
			t.Fatal(err)
		}
	}
	mustAffs(t, s, svc, "r", bad, nick, owner)
	// Replace, then remove with none and no nick.
	bad.Affiliation, bad.Reason = "member", ""
	if err := s.SetRoomAffiliation(ctx, svc, "r", bad); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRoomAffiliation(ctx, svc, "r", storage.RoomAffiliation{JID: "nick@example.org", Affiliation: "none"}); err != nil {
		t.Fatal(err)
	}
	mustAffs(t, s, svc, "r", bad, owner)
	if err := s.SetRoomAffiliation(ctx, svc, "r", storage.RoomAffiliation{JID: "x@example.org", Affiliation: "king"}); err == nil {
		t.Fatal("affiliation king accepted")
	}
	// Deleting the room deletes its affiliations.
	if err := s.DeleteRoom(ctx, svc, "r"); err != nil {
		t.Fatal(err)
	}
	mustAffs(t, s, svc, "r")
}

func testRoomIsolation(t *testing.T, s storage.Store) {
	ctx := t.Context()
	other := "muc.example.com"
	for _, r := range []storage.StoredRoom{{Service: svc, Name: "r", Config: []byte("1")}, {Service: other, Name: "r", Config: []byte("2")}} {
		if err := s.SaveRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRoomAffiliation(ctx, r.Service, "r", storage.RoomAffiliation{JID: "a@b", Affiliation: "owner"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteRoom(ctx, svc, "r"); err != nil {
		t.Fatal(err)
	}
	mustRooms(t, s, svc)
	mustRooms(t, s, other, storage.StoredRoom{Service: other, Name: "r", Config: []byte("2")})
	mustAffs(t, s, other, "r", storage.RoomAffiliation{JID: "a@b", Affiliation: "owner"})
}
