package account

import (
	"context"
	"testing"
)

// BenchmarkLogin measures one successful login with the default (strong)
// Argon2id parameters: the cost is almost all the hash, and each run
// allocates Argon2Params.Memory KiB.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	s, err := New(ctx, openKV(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Provision(ctx, NewAccount{Email: "alice@example.org", Password: testPassword}, false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Login(ctx, "alice@example.org", testPassword, ""); err != nil {
			b.Fatal(err)
		}
	}
}
