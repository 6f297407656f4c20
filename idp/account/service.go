package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/naamio/naamio/kv"
)

// Service is the account system of the identity provider: accounts,
// logins, sessions, password resets, invites, client credentials and
// remembered consent. It is safe for concurrent use.
type Service struct {
	kv      kv.KV
	opts    Options
	secure  bool
	secret  []byte        // CSRF HMAC key (meta/secret)
	dummy   string        // PHC hash verified when the email is unknown
	hashSem chan struct{} // bounds concurrent Argon2id runs
	limits  *loginLimiter
	revoker Revoker
}

// Revoker withdraws the access tokens issued for an account or for one of
// its client credentials before they expire (idp/op.Revocations does it), so
// that deleting either takes its tokens with it (SECURITY.md row 59).
// After a call returns, no token issued for it works and no new one is
// issued.
type Revoker interface {
	RevokeAccount(ctx context.Context, accountID string) error
	RevokeCredential(ctx context.Context, accountID, credentialID string) error
}

// New opens the account system on records, creating the server secret on first
// use.
func New(ctx context.Context, records kv.KV, opts Options) (*Service, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{
		kv:      records,
		opts:    opts,
		secure:  opts.secureCookies(),
		hashSem: make(chan struct{}, opts.MaxConcurrentHashes),
		limits:  newLoginLimiter(opts.AccountLimit, opts.IPLimit, opts.SignupLimit),
		revoker: opts.Revoker,
	}
	if s.secret, err = loadSecret(ctx, records); err != nil {
		return nil, err
	}
	// The dummy is a hash of a random password nobody knows, made with the
	// current parameters so that an unknown email costs what a known one does.
	if s.dummy, err = s.hashPassword(ctx, rand.Text()); err != nil {
		return nil, err
	}
	return s, nil
}

// loadSecret returns meta/secret, creating it in the same transaction when
// absent so that concurrent first starts agree on one secret.
func loadSecret(ctx context.Context, records kv.KV) ([]byte, error) {
	var secret []byte
	err := records.Update(ctx, func(tx kv.Txn) error {
		b, err := tx.Get(keySecret)
		if err == nil && len(b) == 32 {
			secret = b
			return nil
		}
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if err == nil {
			return fmt.Errorf("%w: %s has %d bytes", ErrCorrupt, keySecret, len(b))
		}
		secret = make([]byte, 32)
		rand.Read(secret)
		return tx.Set(keySecret, secret, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("account: server secret: %w", err)
	}
	return secret, nil
}

func (s *Service) now() time.Time { return s.opts.Now() }

// get reads and decodes key outside a transaction; a missing key is
// found == false.
func (s *Service) get(ctx context.Context, key string, into versioned) (found bool, err error) {
	b, err := s.kv.Get(ctx, key)
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, decode(key, b, into)
}
