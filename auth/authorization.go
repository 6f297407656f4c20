package auth

import "strings"

// ParseAuthorization splits an Authorization header value into its scheme and
// token68 credentials. The scheme is matched case-insensitively and returned
// canonically as "DPoP" or "Bearer" (other schemes are returned as sent). It
// does not decide policy: the caller must refuse anything but "DPoP" for a
// DPoP-bound token (RFC 9449 §7.2).
func ParseAuthorization(header string) (scheme, token string, err error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", "", tokenErr("no Authorization header")
	}
	if len(header) > maxTokenBytes+64 {
		return "", "", tokenErr("Authorization header too large")
	}
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || scheme == "" {
		return "", "", tokenErr("Authorization header has no credentials")
	}
	token = strings.TrimLeft(rest, " ")
	if !isToken68(token) {
		return "", "", tokenErr("credentials are not a single token68")
	}
	switch {
	case strings.EqualFold(scheme, "DPoP"):
		scheme = "DPoP"
	case strings.EqualFold(scheme, "Bearer"):
		scheme = "Bearer"
	default:
		if !isHTTPToken(scheme) {
			return "", "", tokenErr("invalid auth scheme")
		}
	}
	return scheme, token, nil
}

// isToken68 reports whether s matches RFC 9110 token68:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

func isHTTPToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return s != ""
}
