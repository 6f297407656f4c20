package account

import (
	"context"
	"errors"
	"testing"
)

func TestDecodeVersion(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{`{"v":1,"id":"x"}`, nil},
		{`{"v":2,"id":"x"}`, ErrCorrupt},
		{`{"id":"x"}`, ErrCorrupt},
		{`not json`, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var r emailRecord
			if err := decode("k", []byte(tt.in), &r); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("decode = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCorruptRecordsAreErrors(t *testing.T) {
	ctx := context.Background()
	kv := openKV(t)
	if err := kv.Put(ctx, keySecret, []byte("short"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, kv, Options{Argon2: cheap}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("New with a damaged secret = %v, want ErrCorrupt", err)
	}

	s, _ := newTestService(t, Options{})
	a := mustCreate(t, s, "alice@example.org")
	if err := s.kv.Put(ctx, keyAccount(a.ID), []byte(`{"v":99}`), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, a.ID); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of a future record = %v, want ErrCorrupt", err)
	}
	if _, err := s.Login(ctx, a.Email, testPassword, ""); err == nil || errors.Is(err, ErrBadLogin) {
		t.Fatalf("Login on a damaged record = %v, want a storage error", err)
	}
}
