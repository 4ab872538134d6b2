package wordpress

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// maxPassword is WordPress 6.8's limit: longer passwords never match.
const maxPassword = 4096

// itoa64 is phpass's base-64 alphabet.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// CheckPassword reports whether password matches a WordPress user_pass
// hash, as wp_check_password of WordPress 6.8 decides:
//
//   - "$wp" + bcrypt: WordPress 6.8's hashes, bcrypt over
//     base64(HMAC-SHA-384(key "wp-sha384", password));
//   - "$P$" (and phpBB's "$H$"): phpass portable MD5 hashes, WordPress's
//     format from 2.5 to 6.7;
//   - "$2y$", "$2a$", "$2b$": plain bcrypt, as plugins and other PHP
//     applications write with password_hash;
//   - 32 hex digits: the unsalted MD5 of WordPress before 2.5.
//
// Anything else, and passwords over 4096 bytes, never match.
func CheckPassword(password, hash string) bool {
	if len(password) > maxPassword {
		return false
	}
	switch {
	case len(hash) <= 32:
		if len(hash) != 32 {
			return false
		}
		sum := md5.Sum([]byte(password))
		return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(hash))) == 1
	case strings.HasPrefix(hash, "$wp"):
		return bcrypt.CompareHashAndPassword([]byte(hash[3:]), []byte(PreHash(password))) == nil
	case strings.HasPrefix(hash, "$P$"), strings.HasPrefix(hash, "$H$"):
		want, ok := phpass(password, hash)
		return ok && subtle.ConstantTimeCompare([]byte(want), []byte(hash)) == 1
	case strings.HasPrefix(hash, "$2y$"), strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"):
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	}
	return false
}

// PreHash is WordPress 6.8's step before bcrypt: base64 of
// HMAC-SHA-384 keyed by the fixed string "wp-sha384", which keeps long
// passwords within bcrypt's 72 bytes. (wp_hash_password trims the password
// first; wp_check_password does not, and neither does this.)
func PreHash(password string) string {
	m := hmac.New(sha512.New384, []byte("wp-sha384"))
	m.Write([]byte(password))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// phpass computes the portable hash of password with the setting (the
// first 12 characters: "$P$", the log2 iteration character, 8 salt
// characters) of stored. ok is false for a malformed setting.
func phpass(password, stored string) (string, bool) {
	if len(stored) != 34 {
		return "", false
	}
	countLog2 := strings.IndexByte(itoa64, stored[3])
	if countLog2 < 7 || countLog2 > 30 {
		return "", false
	}
	salt := stored[4:12]
	sum := md5.Sum([]byte(salt + password))
	buf := make([]byte, 0, md5.Size+len(password))
	for range 1 << countLog2 {
		buf = append(append(buf[:0], sum[:]...), password...)
		sum = md5.Sum(buf)
	}
	return stored[:12] + encode64(sum[:]), true
}

// encode64 is phpass's little-endian base-64 encoding.
func encode64(in []byte) string {
	var out strings.Builder
	for i := 0; i < len(in); {
		v := uint(in[i])
		i++
		out.WriteByte(itoa64[v&0x3f])
		if i < len(in) {
			v |= uint(in[i]) << 8
		}
		out.WriteByte(itoa64[(v>>6)&0x3f])
		if i >= len(in) {
			break
		}
		i++
		if i < len(in) {
			v |= uint(in[i]) << 16
		}
		out.WriteByte(itoa64[(v>>12)&0x3f])
		if i >= len(in) {
			break
		}
		i++
		out.WriteByte(itoa64[(v>>18)&0x3f])
	}
	return out.String()
}
