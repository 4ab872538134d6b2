package blocking

import (
	"slices"
	"strings"

	"mellium.im/xmpp/jid"
)

// jidKey is a JID split into its parts, a map key that needs no string
// building to look up.
type jidKey struct{ local, domain, resource string }

// list is one user's block list as enforcement reads it. It is immutable
// once built: a change builds a new list.
type list struct {
	jids []string // normalized, sorted, as stored
	set  map[jidKey]struct{}
}

// newList builds a list from normalized JIDs, sorted by bytes. JIDs that do not parse (they
// cannot come from this module, which stores only parsed JIDs) are kept in
// jids, so the user can see and remove them, but match nothing.
func newList(jids []string) *list {
	if len(jids) == 0 {
		return nil
	}
	if !slices.IsSorted(jids) {
		jids = slices.Sorted(slices.Values(jids))
	}
	l := &list{jids: jids, set: make(map[jidKey]struct{}, len(jids))}
	for _, s := range jids {
		j, err := jid.Parse(s)
		if err != nil {
			continue
		}
		l.set[jidKey{j.Localpart(), j.Domainpart(), j.Resourcepart()}] = struct{}{}
	}
	return l
}

// len returns the number of blocked JIDs; a nil list is empty.
func (l *list) len() int {
	if l == nil {
		return 0
	}
	return len(l.jids)
}

// all returns a copy of the blocked JIDs.
func (l *list) all() []string {
	if l == nil {
		return nil
	}
	return slices.Clone(l.jids)
}

// has reports whether the exact JID s is on the list.
func (l *list) has(s string) bool {
	if l == nil {
		return false
	}
	_, ok := slices.BinarySearch(l.jids, s)
	return ok
}

// match reports whether an address with these parts is blocked, by the
// rules of XEP-0191 §6 (those of XEP-0016 §2.1):
//
//  1. user@domain/resource matches only that resource;
//  2. user@domain matches any resource of that user;
//  3. domain/resource matches only that resource of the domain itself;
//  4. domain matches the domain itself, any user@domain, any
//     domain/resource, and any address at a subdomain of it.
func (l *list) match(local, domain, resource string) bool {
	if l == nil {
		return false
	}
	if resource != "" {
		if _, ok := l.set[jidKey{local, domain, resource}]; ok {
			return true
		}
	}
	if local != "" {
		if _, ok := l.set[jidKey{local, domain, ""}]; ok {
			return true
		}
	}
	for d := domain; d != ""; {
		if _, ok := l.set[jidKey{"", d, ""}]; ok {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return false
}

// matchJID is match for a parsed JID.
func (l *list) matchJID(j jid.JID) bool {
	if l == nil {
		return false
	}
	return l.match(j.Localpart(), j.Domainpart(), j.Resourcepart())
}
