package account

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/naamio/naamio/kv"
)

// maxNameLen bounds user-chosen names (credential names, pod names).
const maxNameLen = 256

// ClientCredential describes one client credential; the secret is shown
// only once, by NewClientCredentials.
type ClientCredential struct {
	ID      string
	Name    string
	WebID   string
	Created time.Time
}

// NewClientCredentials creates a credential for the OAuth client_credentials
// grant, bound to one of the account's WebIDs (ErrWebIDNotOwned
// otherwise), and returns its id and secret. The secret (256 random bits)
// is stored only as its SHA-256: ample for a secret of that entropy.
func (s *Service) NewClientCredentials(ctx context.Context, accountID, name, webID string) (id, secret string, err error) {
	if name == "" || len(name) > maxNameLen {
		return "", "", ErrInvalidName
	}
	if !validID(accountID) {
		return "", "", ErrNotFound
	}
	id, secret = newToken(idBytes), newToken(tokenBytes)
	rec := &credRecord{V: recordVersion, ID: id, Name: name, Account: accountID, WebID: webID,
		SecretHash: hashHex(secret), Created: s.now().UTC()}
	err = s.kv.Update(ctx, func(tx kv.Txn) error {
		var acct accountRecord
		found, err := txGet(tx, keyAccount(accountID), &acct)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		if !slices.Contains(acct.WebIDs, webID) {
			return ErrWebIDNotOwned
		}
		if err := txPut(tx, keyCred(id), rec, 0); err != nil {
			return err
		}
		return txPut(tx, keyCredBy(accountID, id), &markerRecord{V: recordVersion}, 0)
	})
	if err != nil {
		return "", "", fmt.Errorf("account: new client credentials: %w", err)
	}
	return id, secret, nil
}

// CheckClientCredentials returns the WebID and account a credential acts
// for, or ErrBadCredentials for an unknown id, a wrong secret (compared
// in constant time), a deleted account or a WebID the account no longer
// has.
func (s *Service) CheckClientCredentials(ctx context.Context, id, secret string) (webID, accountID string, err error) {
	if !validID(id) || len(secret) > maxTokenLen {
		return "", "", ErrBadCredentials
	}
	var rec credRecord
	found, err := s.get(ctx, keyCred(id), &rec)
	if err != nil {
		return "", "", fmt.Errorf("account: check client credentials: %w", err)
	}
	want, _ := hex.DecodeString(rec.SecretHash)
	got := sha256.Sum256([]byte(secret))
	if !found || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return "", "", ErrBadCredentials
	}
	acct, err := s.record(ctx, rec.Account)
	if errors.Is(err, ErrNotFound) || (err == nil && (acct.Disabled || !slices.Contains(acct.WebIDs, rec.WebID))) {
		return "", "", ErrBadCredentials
	}
	if err != nil {
		return "", "", err
	}
	return rec.WebID, rec.Account, nil
}

// ListClientCredentials lists the account's credentials, without secrets.
func (s *Service) ListClientCredentials(ctx context.Context, accountID string) ([]ClientCredential, error) {
	if !validID(accountID) {
		return nil, ErrNotFound
	}
	var ids []string
	err := s.kv.List(ctx, prefixCredBy(accountID), func(key string, _ []byte) error {
		ids = append(ids, key[len(prefixCredBy(accountID)):])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("account: list client credentials: %w", err)
	}
	out := make([]ClientCredential, 0, len(ids))
	for _, id := range ids {
		var rec credRecord
		found, err := s.get(ctx, keyCred(id), &rec)
		if err != nil {
			return nil, fmt.Errorf("account: list client credentials: %w", err)
		}
		if found {
			out = append(out, ClientCredential{ID: rec.ID, Name: rec.Name, WebID: rec.WebID, Created: rec.Created})
		}
	}
	return out, nil
}

// DeleteClientCredentials deletes one of the account's credentials
// (ErrNotFound if the account has no such credential). The access tokens
// issued with it are revoked first (Options.Revoker, SECURITY.md row 59).
func (s *Service) DeleteClientCredentials(ctx context.Context, accountID, id string) error {
	if !validID(accountID) || !validID(id) {
		return ErrNotFound
	}
	var rec credRecord
	if found, err := s.get(ctx, keyCred(id), &rec); err != nil {
		return fmt.Errorf("account: delete client credentials: %w", err)
	} else if !found || rec.Account != accountID {
		return ErrNotFound
	}
	if s.revoker != nil {
		if err := s.revoker.RevokeCredential(ctx, accountID, id); err != nil {
			return fmt.Errorf("account: delete client credentials: revoking tokens: %w", err)
		}
	}
	err := s.kv.Update(ctx, func(tx kv.Txn) error {
		var rec credRecord
		found, err := txGet(tx, keyCred(id), &rec)
		if err != nil {
			return err
		}
		if !found || rec.Account != accountID {
			return ErrNotFound
		}
		if err := tx.Delete(keyCred(id)); err != nil {
			return err
		}
		return tx.Delete(keyCredBy(accountID, id))
	})
	if err != nil {
		return fmt.Errorf("account: delete client credentials: %w", err)
	}
	return nil
}
