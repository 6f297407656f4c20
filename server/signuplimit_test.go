package server

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/naamio/naamio/idp/account"
)

// --signups-per-hour reaches the account service: with 2, a third sign-up
// from one address within the hour is refused (account.ErrRateLimited, the
// account API's 429), another address still signs up (SECURITY row 35's
// limit per address, now an operator setting; default 10).
func TestSignupsPerHourFlag(t *testing.T) {
	cfg := defaults()
	if cfg.SignupsPerHour != account.DefaultSignupsPerHour {
		t.Fatalf("default %d", cfg.SignupsPerHour)
	}
	cfg.DataDir, cfg.DiskReserve, cfg.BaseURL = t.TempDir(), 0, "http://127.0.0.1:1/"
	cfg.SignupsPerHour = 2
	log, _ := NewLogger(io.Discard, "json", "error")
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeServer(s) })
	signup := func(i int, ip string) error {
		_, err := s.id.accounts.Create(t.Context(), account.NewAccount{Email: fmt.Sprintf("u%d@example.org", i),
			Password: "correct horse battery staple", RemoteIP: ip})
		return err
	}
	for i := range 2 {
		if err := signup(i, "192.0.2.7"); err != nil {
			t.Fatalf("sign-up %d: %v", i, err)
		}
	}
	if err := signup(2, "192.0.2.7"); !errors.Is(err, account.ErrRateLimited) {
		t.Fatalf("third sign-up from one address: %v, want ErrRateLimited", err)
	}
	if err := signup(3, "192.0.2.8"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}
