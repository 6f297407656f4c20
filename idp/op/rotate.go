package op

import (
	"context"
	"time"
)

// RotateEvery rotates the signing key whenever the active one is older
// than maxAge (by the provider's clock, Options.Now): it checks at once and
// then every check interval (<= 0: one hour) until ctx is done.
// maxAge <= 0 disables rotation: it returns at once. Run it in its own
// goroutine; each rotation is logged (the new kid only), and a failed one
// is logged and retried at the next check.
func (p *Provider) RotateEvery(ctx context.Context, maxAge, check time.Duration) {
	if maxAge <= 0 {
		return
	}
	if check <= 0 {
		check = time.Hour
	}
	t := time.NewTicker(check)
	defer t.Stop()
	p.rotateLoop(ctx, maxAge, t.C)
}

// rotateLoop checks the key's age now and on every tick until ctx is done.
// Checks run one after another: once a tick has been received, the check
// before it is complete.
func (p *Provider) rotateLoop(ctx context.Context, maxAge time.Duration, ticks <-chan time.Time) {
	for ctx.Err() == nil {
		kid, rotated, err := p.rotate(ctx, maxAge)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.ErrorContext(ctx, "signing key rotation failed", "err", err)
		case rotated:
			p.log.InfoContext(ctx, "signing key rotated", "kid", kid)
		}
		select {
		case <-ctx.Done():
		case <-ticks:
		}
	}
}
