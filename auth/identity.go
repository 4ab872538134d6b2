package auth

import (
	"strings"

	"mellium.im/xmpp/jid"
)

// normalizeUser returns the localpart and domainpart of username@host as
// c2s binds them (jid.Parse: PRECIS UsernameCaseMapped for the localpart,
// lowercase IDNA for the domain), so that what auth compares, limits and
// records is the account the session ends up as. ok is false when the
// pair is not a valid bare JID with a localpart.
func normalizeUser(username, host string) (local, domain string, ok bool) {
	if username == "" || host == "" {
		return "", "", false
	}
	j, err := jid.Parse(username + "@" + host)
	if err != nil || j.Localpart() == "" || j.Resourcepart() != "" {
		return "", "", false
	}
	return j.Localpart(), j.Domainpart(), true
}

// authorized reports whether the authorization identity a client asked for
// is its own account: empty, the bare username, or username@host, compared
// after the normalization the bound JID gets. A WordPress login
// "Carol@Example" authenticates as the localpart "Carol\40Example" and
// binds carol\40example@host; a client asking for that JID is asking for
// itself.
func authorized(authzid, username, host string) bool {
	if authzid == "" || authzid == username {
		return true
	}
	n := len(username)
	if host != "" && len(authzid) == n+1+len(host) &&
		authzid[:n] == username && authzid[n] == '@' &&
		strings.EqualFold(authzid[n+1:], host) {
		return true // the common case, without PRECIS
	}
	local, domain, ok := normalizeUser(username, host)
	if !ok {
		return false
	}
	if !strings.Contains(authzid, "@") {
		authzid += "@" + host // a bare localpart names an account of this host
	}
	j, err := jid.Parse(authzid)
	return err == nil && j.Resourcepart() == "" &&
		j.Localpart() == local && j.Domainpart() == domain
}
