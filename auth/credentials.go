package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"

	"github.com/meerkat-xmpp/meerkat/auth/scram"
	"github.com/meerkat-xmpp/meerkat/storage"
)

// saltLen is the length of the random salts DeriveCredentials makes.
const saltLen = 16

// DeriveCredentials computes the keys to store for a new password: one
// random 16-byte salt and its StoredKey and ServerKey per hash (SHA-1,
// SHA-256, SHA-512), so the password itself is never stored. iterations 0
// means 4096. The password must be non-empty valid UTF-8 without control
// characters; it is prepared with scram.PreparePassword (the part of PRECIS
// OpaqueString the standard library allows: no NFC) and otherwise used as
// given.
func DeriveCredentials(password string, iterations int) (storage.Credentials, error) {
	var c storage.Credentials
	if iterations == 0 {
		iterations = scram.DefaultIterations
	}
	if iterations < 0 {
		return c, scram.ErrIterations
	}
	if _, err := scram.PreparePassword(password); err != nil {
		return c, err
	}
	for _, t := range []struct {
		hash string
		dst  *storage.SCRAMKeys
	}{{scram.SHA1, &c.SHA1}, {scram.SHA256, &c.SHA256}, {scram.SHA512, &c.SHA512}} {
		salt := make([]byte, saltLen)
		rand.Read(salt)
		stored, server, err := scram.DeriveKeys(t.hash, password, salt, iterations)
		if err != nil {
			return storage.Credentials{}, err
		}
		*t.dst = storage.SCRAMKeys{Salt: salt, Iterations: iterations, StoredKey: stored, ServerKey: server}
	}
	return c, nil
}

// VerifyPassword reports whether password matches keys, stored for the
// named hash (scram.SHA1, scram.SHA256 or scram.SHA512). It runs PBKDF2 with
// the stored salt and iterations and compares StoredKey in constant time.
// Incomplete keys, an unknown hash or an unusable password give false.
func VerifyPassword(keys storage.SCRAMKeys, hash string, password string) bool {
	if !usable(keys, hash) {
		return false
	}
	stored, _, err := scram.DeriveKeys(hash, password, keys.Salt, keys.Iterations)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(stored, keys.StoredKey) == 1
}

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }
