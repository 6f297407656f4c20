package account

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// List returns every account, by email (issue 16 item 1: naamio account
// list). Password hashes never leave the package.
func (s *Service) List(ctx context.Context) ([]*Account, error) {
	var out []*Account
	err := s.kv.List(ctx, keyAccount(""), func(key string, value []byte) error {
		var rec accountRecord
		if err := decode(key, value, &rec); err != nil {
			return err
		}
		out = append(out, rec.account())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("account: list: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].Email, out[j].Email) < 0 })
	return out, nil
}

// Disable disables an account (issue 16 item 1: naamio account disable):
// from the moment it returns, its password logs nobody in (ErrDisabled),
// its sessions have ended (SessionInfo answers ErrNoSession for them, and
// SessGen changed), no session can be started for it, and its client
// credentials are refused. With a Revoker, its access tokens and grants
// are revoked too and no new token is issued for it; without one (a
// caller that has the provider's revocations at hand), the caller must
// revoke them. Its pods and their data stay: what is public stays
// readable. Disabling a disabled account is not an error.
func (s *Service) Disable(ctx context.Context, accountID string) error {
	_, err := s.update(ctx, accountID, func(rec *accountRecord) error {
		if !rec.Disabled {
			rec.Disabled = true
			rec.SessGen++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("account: disable: %w", err)
	}
	if s.revoker != nil {
		if err := s.revoker.RevokeAccount(ctx, accountID); err != nil {
			return fmt.Errorf("account: disable: revoking tokens: %w", err)
		}
	}
	return nil
}

// Enable enables a disabled account again (naamio account enable): its
// password logs in again and sessions can start; its client credentials
// are accepted again. The sessions that disabling ended stay ended. It
// answers whether the account was disabled (false: nothing changed). The
// tokens revoked when it was disabled stay revoked; letting the provider
// issue it new ones is the caller's part (op.Revocations.ReinstateAccount).
func (s *Service) Enable(ctx context.Context, accountID string) (changed bool, err error) {
	_, err = s.update(ctx, accountID, func(rec *accountRecord) error {
		changed = rec.Disabled
		rec.Disabled = false
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("account: enable: %w", err)
	}
	return changed, nil
}
