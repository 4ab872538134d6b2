// Package router delivers stanzas by their 'to' address and nothing else
// (DESIGN.md, "The way a stanza travels"): a full JID of a local user goes to
// that session; a bare JID follows RFC 6121 §8.5; the server's own domain goes
// to IQ handlers registered by namespace; anything else would go to s2s,
// which answers remote-server-not-found until federation exists.
//
// The session registry is sharded by bare JID so logins, logouts and
// deliveries for different users never contend on one lock.
package router
