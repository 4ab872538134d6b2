package httpauth_test

import (
	"crypto/tls"

	"github.com/meerkat-xmpp/meerkat/auth"
)

// tlsConnInfo is a ConnInfo that counts as encrypted, so PLAIN is allowed.
func tlsConnInfo() auth.ConnInfo {
	return auth.ConnInfo{Host: "example.com", TLS: &tls.ConnectionState{HandshakeComplete: true}}
}
