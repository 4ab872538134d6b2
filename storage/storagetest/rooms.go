package storagetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/meerkat-xmpp/meerkat/storage"
)

var roomTests = []namedTest{
	{"Lifecycle", testRooms},
	{"Affiliations", testRoomAffiliations},
	{"Isolation", testRoomIsolation},
	{"History", testRoomHistory},
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

func mustHistory(t *testing.T, s storage.Rooms, service, name string, want ...storage.RoomMessage) {
	t.Helper()
	got, err := s.RoomHistory(t.Context(), service, name)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("RoomHistory: nil slice, want non-nil")
	}
	if !slices.EqualFunc(got, want, func(a, b storage.RoomMessage) bool {
		return a.At.Equal(b.At.Truncate(time.Microsecond)) && a.At.Location() == time.UTC && bytes.Equal(a.Stanza, b.Stanza)
	}) {
		t.Fatalf("RoomHistory(%s, %s):\n got %+v\nwant %+v", service, name, got, want)
	}
}

func testRoomHistory(t *testing.T, s storage.Store) {
	ctx := t.Context()
	mustHistory(t, s, svc, "h")
	paris := time.FixedZone("Paris", 3600)
	msgs := []storage.RoomMessage{
		{At: time.Date(2026, 12, 4, 10, 0, 0, 123456789, time.UTC), Stanza: []byte(`<message from='h@x/A' type='groupchat'><body>one &amp; ünï</body></message>`)},
		{At: time.Date(2026, 12, 4, 11, 0, 1, 0, paris), Stanza: []byte(`<message from='h@x/B' type='groupchat'><body>two</body></message>`)},
		{At: time.Date(2026, 12, 4, 10, 0, 2, 0, time.UTC), Stanza: []byte("\x00binary\xff")},
	}
	// The room need not be stored yet; order is as given, not by time.
	if err := s.SetRoomHistory(ctx, svc, "h", msgs); err != nil {
		t.Fatal(err)
	}
	mustHistory(t, s, svc, "h", msgs...)
	mustHistory(t, s, "muc.example.com", "h")
	// Replacing drops what is not in the new list.
	if err := s.SetRoomHistory(ctx, svc, "h", msgs[1:2]); err != nil {
		t.Fatal(err)
	}
	mustHistory(t, s, svc, "h", msgs[1])
	if err := s.SetRoomHistory(ctx, svc, "h", nil); err != nil {
		t.Fatal(err)
	}
	mustHistory(t, s, svc, "h")
	// Deleting the room deletes its history.
	if err := s.SaveRoom(ctx, storage.StoredRoom{Service: svc, Name: "h", Config: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRoomHistory(ctx, svc, "h", msgs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRoom(ctx, svc, "h"); err != nil {
		t.Fatal(err)
	}
	mustHistory(t, s, svc, "h")
}
