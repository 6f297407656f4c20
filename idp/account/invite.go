package account

import (
	"context"
	"fmt"

	"github.com/naamio/naamio/kv"
)

// NewInvite creates a single-use invite code for invite-only registration.
// Only admins may; the code is returned once and stored only as its hash.
func (s *Service) NewInvite(ctx context.Context, adminID string) (string, error) {
	rec, err := s.record(ctx, adminID)
	if err != nil {
		return "", err
	}
	if !rec.Admin {
		return "", ErrNotAdmin
	}
	code := newToken(inviteBytes)
	now := s.now().UTC()
	inv := &inviteRecord{V: recordVersion, By: adminID, Created: now}
	var ttl = s.opts.InviteTTL
	if ttl > 0 {
		inv.Expires = now.Add(ttl)
	} else {
		ttl = 0
	}
	if err := s.kv.Put(ctx, keyInvite(code), encode(inv), ttl); err != nil {
		return "", fmt.Errorf("account: new invite: %w", err)
	}
	return code, nil
}

// useInvite consumes an invite code inside the sign-up transaction.
func (s *Service) useInvite(tx kv.Txn, code string) error {
	if len(code) > maxTokenLen {
		return ErrBadInvite
	}
	var inv inviteRecord
	found, err := txGet(tx, keyInvite(code), &inv)
	if err != nil {
		return err
	}
	if !found || (!inv.Expires.IsZero() && !s.now().Before(inv.Expires)) {
		return ErrBadInvite
	}
	return tx.Delete(keyInvite(code))
}
