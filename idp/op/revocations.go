package op

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/naamio/naamio/kv"
)

// Revocations is the part of the provider that withdraws tokens before
// they expire: the revoked access tokens (kept in memory for the resource
// server, Provider.Revoked), grants revoked with their tokens, and the
// revocation of everything issued for a deleted account or client
// credential (account.Revoker). It is made before the Provider and the
// account service, which both use it: the account service revokes through
// it, and the provider checks client credentials through the account
// service (Options.Credentials).
type Revocations struct {
	kv                    kv.KV
	accessTTL, refreshTTL time.Duration
	now                   func() time.Time
	revoked               revokedSet
}

// RevocationOptions configure NewRevocations. KV is required and must be
// the provider's Options.KV; the TTLs and clock must be the provider's
// (zero: the same defaults as Options).
type RevocationOptions struct {
	KV              kv.KV
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	Now             func() time.Time
}

// NewRevocations loads the revoked access tokens that have not expired.
func NewRevocations(ctx context.Context, opts RevocationOptions) (*Revocations, error) {
	if opts.KV == nil {
		return nil, errors.New("op: RevocationOptions.KV is required")
	}
	rv := &Revocations{kv: opts.KV, accessTTL: opts.AccessTokenTTL, refreshTTL: opts.RefreshTokenTTL, now: opts.Now}
	if rv.accessTTL == 0 {
		rv.accessTTL = DefaultAccessTokenTTL
	}
	if rv.refreshTTL <= 0 {
		rv.refreshTTL = DefaultRefreshTTL
	}
	if rv.now == nil {
		rv.now = time.Now
	}
	if err := rv.load(ctx); err != nil {
		return nil, fmt.Errorf("op: load revoked tokens: %w", err)
	}
	return rv, nil
}

// load reads the revoked access tokens that have not expired.
func (rv *Revocations) load(ctx context.Context) error {
	var list []issuedAccess
	err := rv.kv.List(ctx, kvRevoked, func(key string, value []byte) error {
		exp, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil {
			return nil // unreadable: its token expires on its own
		}
		list = append(list, issuedAccess{JTI: key[len(kvRevoked):], Exp: exp})
		return nil
	})
	if err != nil {
		return err
	}
	rv.revoked.add(list, rv.now())
	return nil
}

// revokeGrant revokes the grant at key, with its refresh token and the
// access tokens issued within it, in one KV transaction, and tells the
// resource server.
func (rv *Revocations) revokeGrant(ctx context.Context, key string) error {
	now := rv.now()
	var revoked []issuedAccess
	err := rv.kv.Update(ctx, func(tx kv.Txn) (err error) {
		revoked, err = revokeGrantTx(tx, key, rv.refreshTTL, now)
		return err
	})
	if err != nil {
		return err
	}
	rv.revoked.add(revoked, now)
	return nil
}
