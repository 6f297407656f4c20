package account

import (
	"crypto/rand"
	"encoding/base64"
)

// newToken returns n random bytes, base64url without padding (URL-safe).
// crypto/rand.Read never fails (it aborts the program instead).
func newToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

const (
	idBytes     = 16 // account and credential ids: 128 bits, 22 characters
	tokenBytes  = 32 // sessions, reset tokens, client secrets: 256 bits
	inviteBytes = 16 // invite codes: 128 bits
)

// validID reports whether id looks like one newToken(idBytes) made: it
// keeps odd input (slashes, huge strings) out of keys.
func validID(id string) bool {
	if len(id) != 22 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
