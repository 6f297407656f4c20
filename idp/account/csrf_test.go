package account

import (
	"context"
	"testing"
)

func TestCSRF(t *testing.T) {
	ctx := context.Background()
	kv := openKV(t)
	s, err := New(ctx, kv, Options{Argon2: cheap})
	if err != nil {
		t.Fatal(err)
	}
	tok := s.CSRFToken("session-a")
	if tok == "" || tok == s.CSRFToken("session-b") {
		t.Fatalf("CSRF tokens %q not bound to the session", tok)
	}
	tests := []struct {
		name, session, token string
		want                 bool
	}{
		{"match", "session-a", tok, true},
		{"other session", "session-b", tok, false},
		{"empty token", "session-a", "", false},
		{"empty session", "", s.CSRFToken(""), false},
		{"tampered", "session-a", flip(tok, 5), false},
		{"non-canonical last character", "session-a", flip(tok, len(tok)-1), false},
		{"not base64", "session-a", "!!!", false},
		{"huge", "session-a", tok + string(make([]byte, 1000)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.CheckCSRF(tt.session, tt.token); got != tt.want {
				t.Fatalf("CheckCSRF = %v, want %v", got, tt.want)
			}
		})
	}
	// The secret is persisted: a restarted service accepts old tokens, a
	// service with another store does not.
	again, err := New(ctx, kv, Options{Argon2: cheap})
	if err != nil {
		t.Fatal(err)
	}
	if !again.CheckCSRF("session-a", tok) {
		t.Fatal("CSRF token not accepted after restart")
	}
	other, _ := newTestService(t, Options{})
	if other.CheckCSRF("session-a", tok) {
		t.Fatal("CSRF token accepted under another secret")
	}
}

// flip changes the character at i to another base64url character.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
