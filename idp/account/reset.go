package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/naamio/naamio/kv"
)

// NewResetToken issues a single-use password-reset token for the account
// with this email, valid for Options.ResetTTL, stored only as its hash.
// For an unknown (or malformed) email it returns "", nil, so that the
// caller shows the same page either way; it must not tell the user
// whether a token was made.
func (s *Service) NewResetToken(ctx context.Context, email string) (string, error) {
	rec, err := s.recordByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	token := newToken(tokenBytes)
	r := &resetRecord{V: recordVersion, Account: rec.ID, PwGen: rec.PwGen,
		Expires: s.now().UTC().Add(s.opts.ResetTTL)}
	if err := s.kv.Put(ctx, keyReset(token), encode(r), s.opts.ResetTTL); err != nil {
		return "", fmt.Errorf("account: new reset token: %w", err)
	}
	return token, nil
}

// Reset sets a new password with a reset token, which is used up whatever
// the outcome after the password policy passed. An unknown, used or
// expired token, or one issued before the password last changed, gives
// ErrBadToken. All the account's sessions end.
func (s *Service) Reset(ctx context.Context, token, newPassword string) error {
	if err := checkPassword(newPassword); err != nil {
		return err
	}
	if token == "" || len(token) > maxTokenLen {
		return ErrBadToken
	}
	// A cheap look first, so that made-up tokens cost no hash.
	var pre resetRecord
	if found, err := s.get(ctx, keyReset(token), &pre); err != nil {
		return fmt.Errorf("account: reset: %w", err)
	} else if !found || !s.now().Before(pre.Expires) {
		return ErrBadToken
	}
	hash, err := s.hashPassword(ctx, newPassword)
	if err != nil {
		return err
	}
	done := false
	err = s.kv.Update(ctx, func(tx kv.Txn) error {
		done = false
		var r resetRecord
		found, err := txGet(tx, keyReset(token), &r)
		if err != nil {
			return err
		}
		if !found {
			return ErrBadToken
		}
		if err := tx.Delete(keyReset(token)); err != nil {
			return err
		}
		var rec accountRecord
		found, err = txGet(tx, keyAccount(r.Account), &rec)
		if err != nil {
			return err
		}
		if !found || rec.PwGen != r.PwGen || !s.now().Before(r.Expires) {
			// Commit the deletion anyway: the token is dead.
			return nil
		}
		rec.Hash = hash
		rec.PwGen++
		rec.SessGen++
		done = true
		return txPut(tx, keyAccount(rec.ID), &rec, 0)
	})
	if err != nil {
		return fmt.Errorf("account: reset: %w", err)
	}
	if !done {
		return ErrBadToken
	}
	return nil
}
