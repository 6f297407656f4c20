package account

import (
	"errors"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice@example.org", "alice@example.org", true},
		{"  Alice@Example.ORG \n", "Alice@example.org", true},
		{"a.b+tag@sub.example.org", "a.b+tag@sub.example.org", true},
		{"", "", false},
		{"   ", "", false},
		{"alice", "", false},
		{"alice@", "", false},
		{"@example.org", "", false},
		{"Alice <alice@example.org>", "", false},
		{"<alice@example.org>", "", false},
		{"alice@example.org (comment)", "", false},
		{"a@b@example.org", "", false},
		{`"a b"@example.org`, "", false},
		{"alice@exa\x00mple.org", "", false},
		{"a@" + string(make([]byte, 300)), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeEmail(tt.in)
			if tt.ok != (err == nil) {
				t.Fatalf("NormalizeEmail(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidEmail) {
				t.Fatalf("error %v does not match ErrInvalidEmail", err)
			}
			if got != tt.want {
				t.Fatalf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzNormalizeEmail: emails come from sign-up and login forms.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"alice@example.org", " Bob@EXAMPLE.org ", "x <y@z>", `"q"@x.y`, "a@b@c", "é@ü.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if len(n) > maxEmailLen {
			t.Fatalf("normalized %q is too long", n)
		}
		again, err := NormalizeEmail(n)
		if err != nil || again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, n, again, err)
		}
	})
}
