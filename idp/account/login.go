package account

import (
	"context"
	"errors"
	"fmt"
)

// Login checks an email and password. Unknown email and wrong password give
// the same error, ErrBadLogin, after the same work (an unknown email is
// checked against a dummy hash). Failed attempts are limited per email and
// per remote address (Options.AccountLimit, IPLimit; remoteIP "" is not
// limited by address): past the limit, Login answers ErrRateLimited,
// without checking the password, until the window has passed. A hash
// made with older parameters is redone with the current ones.
func (s *Service) Login(ctx context.Context, email, password, remoteIP string) (*Account, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		norm = "" // counts against the address only
	}
	if !s.limits.take(norm, remoteIP, s.now()) {
		return nil, ErrRateLimited
	}
	if norm == "" || len(password) > MaxPasswordBytes {
		return nil, ErrBadLogin
	}
	rec, err := s.recordByEmail(ctx, norm)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("account: login: %w", err)
	}
	hash := s.dummy
	if rec != nil {
		hash = rec.Hash
	}
	ok, stale, err := s.verifyPassword(ctx, hash, password)
	if err != nil {
		return nil, fmt.Errorf("account: login: %w", err)
	}
	if !ok || rec == nil {
		return nil, ErrBadLogin
	}
	if rec.Disabled {
		return nil, ErrDisabled
	}
	s.limits.succeed(norm, remoteIP)
	if stale {
		s.upgradeHash(ctx, rec.ID, rec.Hash, password)
	}
	return rec.account(), nil
}

// upgradeHash rehashes a correct password with the current parameters,
// unless the password changed meanwhile. It is best effort: on failure the
// old hash stays valid and the next login tries again.
func (s *Service) upgradeHash(ctx context.Context, id, old, password string) {
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return
	}
	_, _ = s.update(ctx, id, func(rec *accountRecord) error {
		if rec.Hash != old {
			return ErrBadLogin // changed meanwhile; leave it
		}
		rec.Hash = hash
		return nil
	})
}
