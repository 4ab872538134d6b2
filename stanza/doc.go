// Package stanza holds what every part of Meerkat needs to speak about the
// three XMPP stanzas of RFC 6120 §8: their kinds and types, the stanza error
// values of §8.3 (conditions and types are mellium.im/xmpp's), error replies,
// and a cache of parsed JIDs so the hot path does not redo PRECIS work.
package stanza
