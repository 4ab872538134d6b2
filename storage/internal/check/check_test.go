package check

import (
	"slices"
	"testing"

	"github.com/meerkat-xmpp/meerkat/storage"
)

func TestRosterItem(t *testing.T) {
	tests := []struct {
		name    string
		in      storage.RosterItem
		groups  []string
		wantErr bool
	}{
		{"plain", storage.RosterItem{JID: "a@b", Subscription: storage.SubNone}, nil, false},
		{"sorts and dedupes", storage.RosterItem{JID: "a@b", Subscription: storage.SubBoth,
			Groups: []string{"z", "a", "é", "a", "Z", ""}}, []string{"", "Z", "a", "z", "é"}, false},
		{"empty groups become nil", storage.RosterItem{JID: "a@b", Subscription: storage.SubTo, Groups: []string{}}, nil, false},
		{"no JID", storage.RosterItem{Subscription: storage.SubNone}, nil, true},
		{"no subscription", storage.RosterItem{JID: "a@b"}, nil, true},
		{"bad subscription", storage.RosterItem{JID: "a@b", Subscription: "Both"}, nil, true},
		{"bad UTF-8 group", storage.RosterItem{JID: "a@b", Subscription: storage.SubFrom, Groups: []string{"ok", "\xff"}}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.in.Groups)
			got, err := RosterItem(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !slices.Equal(tc.in.Groups, before) {
				t.Errorf("caller's groups changed: %q, was %q", tc.in.Groups, before)
			}
			if err != nil {
				return
			}
			if !slices.Equal(got.Groups, tc.groups) || (got.Groups == nil) != (tc.groups == nil) {
				t.Errorf("groups = %#v, want %#v", got.Groups, tc.groups)
			}
		})
	}
}

func TestRosterItemEmptyStanza(t *testing.T) {
	got, err := RosterItem(storage.RosterItem{JID: "a@b", Subscription: storage.SubNone, InStanza: []byte{}})
	if err != nil || got.InStanza != nil {
		t.Fatalf("InStanza = %#v, %v; want nil", got.InStanza, err)
	}
}
