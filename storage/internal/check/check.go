// Package check holds the argument checks and normalizations every storage
// backend applies before writing, so that both answer a caller's mistake
// the same way instead of each doing what its database happens to do.
package check

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/meerkat-xmpp/meerkat/storage"
)

// RosterItem returns it as a backend stores it: Groups sorted by bytes,
// without duplicates and nil when empty (in a new slice, the caller's is
// left alone), and InStanza nil when empty. It refuses an empty JID, a
// subscription outside the four of RFC 6121 and a group that is not valid
// UTF-8 (which a backend could not store exactly).
func RosterItem(it storage.RosterItem) (storage.RosterItem, error) {
	if it.JID == "" {
		return it, errors.New("roster item: empty JID")
	}
	switch it.Subscription {
	case storage.SubNone, storage.SubTo, storage.SubFrom, storage.SubBoth:
	default:
		return it, fmt.Errorf("roster item %s: subscription %q is not none, to, from or both", it.JID, it.Subscription)
	}
	for _, g := range it.Groups {
		if !utf8.ValidString(g) {
			return it, fmt.Errorf("roster item %s: group %q is not valid UTF-8", it.JID, g)
		}
	}
	it.Groups = Groups(it.Groups)
	if len(it.InStanza) == 0 {
		it.InStanza = nil
	}
	return it, nil
}

// Groups returns a sorted copy of gs without duplicates, nil when empty.
func Groups(gs []string) []string {
	if len(gs) == 0 {
		return nil
	}
	out := slices.Clone(gs)
	slices.Sort(out)
	return slices.Compact(out)
}
