package op

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwt"
)

// lineWriter passes each write (one slog JSON record) to a channel.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) { w <- string(p); return len(p), nil }

func rotationOptions(t *testing.T, clock *fakeClock, logs lineWriter) Options {
	opts := Options{Issuer: "https://idp.example", KV: newKV(t), Interaction: &fakeInteraction{}, Now: clock.now}
	if logs != nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	}
	return opts
}

// The loop rotates once the active key is older than the maximum age, by
// the provider's clock, and not before. Ticks come from the test: once a
// tick has been received, the check before it has finished.
func TestRotateLoop(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	logs := make(lineWriter, 16)
	p, err := New(context.Background(), rotationOptions(t, clock, logs))
	if err != nil {
		t.Fatal(err)
	}
	first := kids(p.PublicKeys())
	const maxAge = 24 * time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	done := make(chan struct{})
	go func() { defer close(done); p.rotateLoop(ctx, maxAge, ticks) }()
	tick := func() { ticks <- time.Time{} }

	tick() // the check at start has run
	clock.add(maxAge - time.Minute)
	tick()
	tick() // a check at the new time has run
	if got := kids(p.PublicKeys()); !slices.Equal(got, first) {
		t.Fatalf("rotated a key younger than the maximum age: %v", got)
	}
	clock.add(2 * time.Minute)
	tick()
	tick() // a check past the maximum age has run; the next sees a fresh key
	cancel()
	<-done
	got := kids(p.PublicKeys())
	if len(got) != 2 || got[0] != first[0] {
		t.Fatalf("after the maximum age: %v, first %v", got, first)
	}
	fresh, err := p.sign("at+jwt", map[string]any{"iss": "https://idp.example"})
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, fresh) != got[1] {
		t.Fatal("new tokens are not signed with the new key")
	}
	close(logs)
	var lines []string
	for l := range logs {
		lines = append(lines, l)
	}
	if len(lines) != 1 || !strings.Contains(lines[0], `"level":"INFO"`) ||
		!strings.Contains(lines[0], `"msg":"signing key rotated"`) || !strings.Contains(lines[0], `"kid":"`+got[1]+`"`) {
		t.Fatalf("want one rotation log line with the new kid, got %q", lines)
	}
}

// RotateEvery checks at start; with a maximum age of 0 (or less) it never
// rotates and returns at once.
func TestRotateEvery(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
	}{{"disabled", 0}, {"negative", -time.Hour}, {"old key", 24 * time.Hour}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			logs := make(lineWriter, 16)
			p, err := New(context.Background(), rotationOptions(t, clock, logs))
			if err != nil {
				t.Fatal(err)
			}
			first := kids(p.PublicKeys())
			clock.add(365 * 24 * time.Hour)
			if tc.maxAge <= 0 {
				p.RotateEvery(context.Background(), tc.maxAge, time.Hour) // returns
				if got := kids(p.PublicKeys()); !slices.Equal(got, first) {
					t.Fatalf("max age %v rotated: %v", tc.maxAge, got)
				}
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); p.RotateEvery(ctx, tc.maxAge, time.Hour) }()
			line := <-logs // the check at start rotates and logs
			cancel()
			<-done
			got := kids(p.PublicKeys())
			if len(got) != 2 || !strings.Contains(line, `"kid":"`+got[1]+`"`) {
				t.Fatalf("keys %v, log %q", got, line)
			}
		})
	}
}

// The offline rotation (naamio keys rotate) leaves a key set that a
// provider started afterwards publishes whole and signs with the new key;
// tokens signed before still verify.
func TestRotateKeysOffline(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts := rotationOptions(t, clock, nil)
	if l, err := ListKeys(ctx, opts.KV); err != nil || len(l) != 0 {
		t.Fatalf("ListKeys on an empty KV: %v, %v", l, err)
	}
	p1, err := New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	first := kids(p1.PublicKeys())
	old, err := p1.sign("at+jwt", map[string]any{"iss": "https://idp.example", "exp": clock.now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(time.Hour)
	rotated, err := RotateKeys(ctx, opts.KV, 0, clock.now())
	if err != nil {
		t.Fatal(err)
	}
	listed, err := ListKeys(ctx, opts.KV)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(listed, rotated) || len(listed) != 2 || listed[0].KID != first[0] ||
		!listed[0].Retired.Equal(clock.now()) || !listed[1].Retired.IsZero() || !listed[1].Created.Equal(clock.now()) {
		t.Fatalf("after rotation: %+v, listed %+v", rotated, listed)
	}

	p2, err := New(ctx, opts) // the server started again
	if err != nil {
		t.Fatal(err)
	}
	if got := kids(p2.PublicKeys()); !slices.Equal(got, []string{first[0], listed[1].KID}) {
		t.Fatalf("published %v", got)
	}
	fresh, err := p2.sign("at+jwt", map[string]any{"iss": "https://idp.example"})
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, fresh) != listed[1].KID {
		t.Fatal("the restarted provider does not sign with the new key")
	}
	if _, err := jwt.Parse([]byte(old), jwt.WithKeySet(p2.PublicKeys()), jwt.WithValidate(false)); err != nil {
		t.Fatalf("token signed before the rotation: %v", err)
	}

	// Once its tokens have expired, the next rotation drops the old key.
	clock.add(DefaultAccessTokenTTL + retireMargin + time.Minute)
	again, err := RotateKeys(ctx, opts.KV, DefaultAccessTokenTTL, clock.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 2 || again[0].KID != listed[1].KID {
		t.Fatalf("second rotation: %+v", again)
	}
}
