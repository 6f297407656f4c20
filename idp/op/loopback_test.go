package op

import "testing"

// TestLoopbackRedirectURIs: http redirect URIs are accepted for loopback
// only: localhost and the names under it (RFC 6761 §6.3; browsers resolve
// every *.localhost name to loopback, which is where a subdomain pod of a
// development server lives, e.g. SolidOS on http://alice.localhost:8080/,
// issue 15 item 4), and loopback addresses. Everything else needs https.
func TestLoopbackRedirectURIs(t *testing.T) {
	for u, want := range map[string]bool{
		"http://localhost:8080/cb":         true,
		"http://alice.localhost:8080/":     true,
		"http://a.b.localhost/cb":          true,
		"http://ALICE.LOCALHOST:1/":        true,
		"http://127.0.0.1:9/cb":            true,
		"http://[::1]:9/cb":                true,
		"http://localhost.example.com/cb":  false,
		"http://alicelocalhost/cb":         false,
		"http://localhost.:8080/":          false,
		"http://.localhost/":               false,
		"http://evil.com/.localhost":       false,
		"http://alice.localhost.evil.com/": false,
		"http://alice.localhost@evil.com/": false,
		"https://alice.example/cb":         true,
		"http://alice.example/cb":          false,
	} {
		if got := validRedirectURI(u); got != want {
			t.Errorf("validRedirectURI(%q) = %v, want %v", u, got, want)
		}
	}
}
