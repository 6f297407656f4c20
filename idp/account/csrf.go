package account

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// CSRFToken returns the anti-CSRF token for forms shown in a session: an
// HMAC-SHA256 of the session token under the server secret, so it needs
// no storage and changes with the session.
func (s *Service) CSRFToken(sessionToken string) string {
	return base64.RawURLEncoding.EncodeToString(s.csrfMAC(sessionToken))
}

// CheckCSRF reports whether token is the CSRF token of the session,
// comparing in constant time. An empty session never checks.
func (s *Service) CheckCSRF(sessionToken, token string) bool {
	if sessionToken == "" || len(token) > 64 {
		return false
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return false
	}
	return hmac.Equal(got, s.csrfMAC(sessionToken))
}

func (s *Service) csrfMAC(sessionToken string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("naamio csrf v1\x00"))
	m.Write([]byte(sessionToken))
	return m.Sum(nil)
}
