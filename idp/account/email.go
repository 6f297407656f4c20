package account

import (
	"net/mail"
	"strings"
)

// maxEmailLen is the longest address accepted (RFC 5321 §4.5.3.1.3 path limit less the brackets).
const maxEmailLen = 254

// NormalizeEmail returns the canonical form of a sign-up or login email:
// trimmed, a bare address as net/mail parses it (no display name, no
// angle brackets, no comments), with its domain lower-cased. The local
// part keeps its case (RFC 5321 §2.4 lets it be case-sensitive), so
// Alice@example.org and alice@example.org are different accounts.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxEmailLen {
		return "", ErrInvalidEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", ErrInvalidEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", ErrInvalidEmail
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] == 0x7f { // no spaces or controls, even quoted
			return "", ErrInvalidEmail
		}
	}
	return s[:at] + "@" + strings.ToLower(s[at+1:]), nil
}
