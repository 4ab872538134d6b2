// Package auth is the server side of SASL for XMPP (RFC 6120 §6) over
// stored keys: SCRAM-SHA-1, SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802,
// RFC 7677), their -PLUS forms with the tls-exporter (RFC 9266) and
// tls-server-end-point (RFC 5929) channel bindings, and PLAIN (RFC 4616)
// under TLS, over a host's ordered list of backends (Internal over stored
// keys; auth/wordpress, auth/http and auth/jwt check plaintext secrets and
// make PLAIN the host's only password mechanism), plus EXTERNAL for
// credentials the transport carried and ANONYMOUS for guests. Failed logins
// are rate-limited per address and per account. Internal accounts keep only
// a salt, an iteration count, StoredKey and ServerKey per hash
// (storage.SCRAMKeys); the password is never stored and SCRAM never runs
// PBKDF2 on the server.
//
// # Driving an exchange
//
// A c2s session builds one Server at start and, per stream:
//
//	ci := auth.ConnInfo{Host: domain, TLS: &state, ServerCert: leafDER}
//	mechs := srv.Mechanisms(ci)        // <mechanisms/>
//	cbs := srv.ChannelBindingTypes(ci) // XEP-0440 <sasl-channel-binding/>
//
// On <auth mechanism='M'>text</auth> it calls Start(M, ci), then Step
// with DecodePayload(text) of the <auth/> and of every <response/>: done
// false means send <challenge>base64(out)</challenge>, done true means send
// <success>base64(out)</success> and restart the stream as Username(). An
// error is a *Failure: send <failure/> with its Condition (and Text, if
// any) and log its Cause.
//
// # What an exchange never reveals
//
// A SCRAM exchange for an unknown user runs with a fake salt derived from
// Config.FakeSaltSecret and the default iteration count, so its
// server-first-message looks like a real one, and fails at the proof with
// the same not-authorized as a wrong password. A rate-limited SCRAM attempt
// runs the same way (with the account's own salt) and fails at the proof
// too. PLAIN spends the same PBKDF2 work on fake keys before failing.
// Storage errors are temporary-auth-failure. Failure texts never carry
// keys.
//
// # Accounts
//
// With Config.Accounts, a login through a backend that is not a KeyHolder
// (wordpress, http, jwt) records an account without keys for the bound
// JID, so the router and modules, which ask storage who exists, know the
// user; Internal never accepts such an account. Guests get one for their
// session (EndAnonymous removes it), and RemoveStaleGuests removes those a
// crash left behind.
//
// # Channel binding
//
// -PLUS mechanisms are offered only when the connection can provide a
// binding: tls-exporter after TLS 1.3 (or TLS 1.2 where crypto/tls allows
// exporting), tls-server-end-point when ConnInfo.ServerCert is set and its
// signature names a hash. The client's GS2 header picks the type. A client
// that says "y" (it could bind but saw no -PLUS) while -PLUS is on offer
// is refused: someone stripped the offer.
package auth
