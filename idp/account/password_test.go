package account

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", ErrPasswordTooShort},
		{"seven", "1234567", ErrPasswordTooShort},
		{"eight", "12345678", nil},
		{"eight runes, more bytes", "ääääääää", nil},
		{"seven runes", "äääääää", ErrPasswordTooShort},
		{"max bytes", strings.Repeat("x", MaxPasswordBytes), nil},
		{"over max", strings.Repeat("x", MaxPasswordBytes+1), ErrPasswordTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkPassword(tt.pw); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("checkPassword = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t, Options{})
	h1, err := s.hashPassword(ctx, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := s.hashPassword(ctx, testPassword)
	if h1 == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h1)
	}
	if strings.Contains(h1, testPassword) {
		t.Fatal("hash contains the password")
	}
	tests := []struct {
		name      string
		pw        string
		ok, stale bool
	}{
		{"right", testPassword, true, false},
		{"wrong", testPassword + "!", false, false},
		{"empty", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, stale, err := s.verifyPassword(ctx, h1, tt.pw)
			if err != nil || ok != tt.ok || stale != tt.stale {
				t.Fatalf("verify = %v, %v, %v; want %v, %v", ok, stale, err, tt.ok, tt.stale)
			}
		})
	}
	t.Run("other parameters are stale", func(t *testing.T) {
		s2, _ := newTestService(t, Options{Argon2: Argon2Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}})
		ok, stale, err := s2.verifyPassword(ctx, h1, testPassword)
		if err != nil || !ok || !stale {
			t.Fatalf("verify with new parameters = %v, %v, %v; want true, true, nil", ok, stale, err)
		}
	})
}

func TestDefaultArgon2IsStrong(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Argon2 != DefaultArgon2 || o.Argon2.Memory < 64*1024 || o.Argon2.Time < 1 {
		t.Fatalf("default argon2 parameters %+v are not the strong ones", o.Argon2)
	}
}

func TestParsePHC(t *testing.T) {
	good := "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	if _, _, _, err := parsePHC(good); err != nil {
		t.Fatalf("parsePHC(good) = %v", err)
	}
	bad := []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=1,p=300$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
	}
	for _, b := range bad {
		if _, _, _, err := parsePHC(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("parsePHC(%q) = %v, want ErrCorrupt", b, err)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"modes", Options{Registration: RegistrationClosed}, true},
		{"unknown mode", Options{Registration: "maybe"}, false},
		{"https", Options{BaseURL: "https://pod.example"}, true},
		{"relative base", Options{BaseURL: "/x"}, false},
		{"ftp base", Options{BaseURL: "ftp://x"}, false},
		{"weak argon2", Options{Argon2: Argon2Params{Memory: 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.o.withDefaults()
			if (err == nil) != tt.ok {
				t.Fatalf("withDefaults = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// Hashing waits for a slot (MaxConcurrentHashes) but not past the context.
func TestHashConcurrencyBound(t *testing.T) {
	s, _ := newTestService(t, Options{MaxConcurrentHashes: 1})
	if err := s.acquireHash(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.hashPassword(ctx, testPassword); !errors.Is(err, context.Canceled) {
		t.Fatalf("hashPassword with all slots taken = %v, want context.Canceled", err)
	}
	s.releaseHash()
	if _, err := s.hashPassword(context.Background(), testPassword); err != nil {
		t.Fatal(err)
	}
}
