package op

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/naamio/naamio/kv"
)

// Every access token issued for an account is recorded under
// kvIssued + escaped account id + "/" + jti (issuedRecord, kept until the
// token expires), so that deleting the account or the client credential
// it was issued with revokes it at once (SECURITY.md row 59), as revoking
// a grant does. A deleted account or credential also leaves a marker
// (kvGone) that the grants read in their transaction: a code, refresh
// token or credential checked before the deletion but exchanged after it
// gets no token.

// issuedRecord is one tracked access token.
type issuedRecord struct {
	Exp int64 `json:"exp"`
	// Client is the client_id it was issued to; for the client_credentials
	// grant, the credential's id.
	Client string `json:"client"`
}

func issuedPrefix(accountID string) string { return kvIssued + url.PathEscape(accountID) + "/" }
func goneAccountKey(accountID string) string {
	return kvGone + "acct/" + url.PathEscape(accountID)
}
func goneCredentialKey(credID string) string { return kvGone + "cred/" + url.PathEscape(credID) }

// trackAccessTx records access token a, issued for accountID to client,
// unless accountID or credID (if set) was deleted: then it answers
// errRevokedOwner and nothing is written.
func trackAccessTx(tx kv.Txn, accountID, credID, client string, a issuedAccess, now time.Time) error {
	if accountID == "" {
		return nil
	}
	keys := []string{goneAccountKey(accountID)}
	if credID != "" {
		keys = append(keys, goneCredentialKey(credID))
	}
	for _, k := range keys {
		if _, err := tx.Get(k); err == nil {
			return errRevokedOwner
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
	}
	b, err := json.Marshal(issuedRecord{Exp: a.Exp, Client: client})
	if err != nil {
		return err
	}
	return tx.Set(issuedPrefix(accountID)+a.JTI, b, time.Unix(a.Exp, 0).Sub(now)+time.Minute)
}

// errRevokedOwner: the account or credential a token would be issued for
// was deleted.
var errRevokedOwner = errors.New("op: the account or credential was deleted")

// RevokeAccount revokes every access token issued for accountID and every
// grant it gave, and refuses any further token for it (account.Revoker).
// Called before the account is deleted.
func (rv *Revocations) RevokeAccount(ctx context.Context, accountID string) error {
	// The marker outlives every code and refresh token issued before it.
	// It holds the time of the revocation (ReinstateAccount reads it).
	now := strconv.FormatInt(rv.now().Unix(), 10)
	if err := rv.kv.Put(ctx, goneAccountKey(accountID), []byte(now), rv.refreshTTL+CodeTTL+time.Minute); err != nil {
		return err
	}
	if err := rv.revokeIssued(ctx, accountID, func(issuedRecord) bool { return true }); err != nil {
		return err
	}
	var grants []string
	err := rv.kv.List(ctx, grantPrefix(accountID), func(key string, _ []byte) error {
		grants = append(grants, key)
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range grants {
		if err := rv.revokeGrant(ctx, key); err != nil {
			return err
		}
	}
	return rv.forgetApps(ctx, accountID)
}

// ReinstateAccount lets an account revoked by RevokeAccount (a disabled
// account, naamio account disable) be issued tokens again, once it is
// enabled (naamio account enable): it answers from when. What the
// revocation withdrew stays withdrawn: the access tokens stay revoked and
// the grants (and their refresh tokens) dead; the codes issued before
// it are refused for as long as they live (CodeTTL after the revocation,
// plus a minute): until then the account's marker stays, and the account
// gets no token. A marker older than that is removed at once. An account
// never revoked is no error.
func (rv *Revocations) ReinstateAccount(ctx context.Context, accountID string) (time.Time, error) {
	now := rv.now()
	v, err := rv.kv.Get(ctx, goneAccountKey(accountID))
	if errors.Is(err, kv.ErrNotFound) {
		return now, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	revoked := now // a marker without its time: as if revoked just now
	if sec, err := strconv.ParseInt(string(v), 10, 64); err == nil && sec <= now.Unix() {
		revoked = time.Unix(sec, 0)
	}
	from := revoked.Add(CodeTTL + time.Minute)
	if !from.After(now) {
		return now, rv.kv.Delete(ctx, goneAccountKey(accountID))
	}
	return from, rv.kv.Put(ctx, goneAccountKey(accountID), v, from.Sub(now))
}

// forgetApps removes the account's connected-app records (apps.go).
func (rv *Revocations) forgetApps(ctx context.Context, accountID string) error {
	var keys []string
	err := rv.kv.List(ctx, appPrefix(accountID), func(key string, _ []byte) error {
		keys = append(keys, key)
		return nil
	})
	for _, k := range keys {
		if err == nil {
			err = rv.kv.Delete(ctx, k)
		}
	}
	return err
}

// RevokeCredential revokes the access tokens issued with client credential
// credID of accountID and refuses any further one (account.Revoker).
// Called before the credential is deleted.
func (rv *Revocations) RevokeCredential(ctx context.Context, accountID, credID string) error {
	if err := rv.kv.Put(ctx, goneCredentialKey(credID), []byte("1"), rv.accessTTL+time.Minute); err != nil {
		return err
	}
	return rv.revokeIssued(ctx, accountID, func(r issuedRecord) bool { return r.Client == credID })
}

// revokeIssued revokes the tracked access tokens of accountID that match.
func (rv *Revocations) revokeIssued(ctx context.Context, accountID string, match func(issuedRecord) bool) error {
	prefix := issuedPrefix(accountID)
	var list []issuedAccess
	err := rv.kv.List(ctx, prefix, func(key string, value []byte) error {
		var r issuedRecord
		if err := json.Unmarshal(value, &r); err != nil {
			return nil // unreadable: cannot be told apart, its token expires on its own
		}
		if match(r) {
			list = append(list, issuedAccess{JTI: key[len(prefix):], Exp: r.Exp})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(list, 500) {
		now := rv.now()
		var revoked []issuedAccess
		err := rv.kv.Update(ctx, func(tx kv.Txn) (err error) {
			revoked, err = revokeAccessTx(tx, chunk, now)
			return err
		})
		if err != nil {
			return err
		}
		rv.revoked.add(revoked, now)
	}
	return nil
}

// RevokeAccount is Revocations.RevokeAccount on the provider's revocations.
func (p *Provider) RevokeAccount(ctx context.Context, accountID string) error {
	return p.rev.RevokeAccount(ctx, accountID)
}

// ReinstateAccount is Revocations.ReinstateAccount on the provider's
// revocations.
func (p *Provider) ReinstateAccount(ctx context.Context, accountID string) (time.Time, error) {
	return p.rev.ReinstateAccount(ctx, accountID)
}

// RevokeCredential is Revocations.RevokeCredential on the provider's
// revocations.
func (p *Provider) RevokeCredential(ctx context.Context, accountID, credID string) error {
	return p.rev.RevokeCredential(ctx, accountID, credID)
}
