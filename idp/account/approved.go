package account

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/naamio/naamio/kv"
)

const (
	maxClientIDLen = 2048
	maxScopes      = 32
	maxScopeLen    = 128
)

// Approval is a client the account consented to, with the scopes approved.
type Approval struct {
	ClientID string
	Scopes   []string
	Updated  time.Time
}

// Approve remembers that the account consented to the client using these
// scopes, adding to scopes approved before.
func (s *Service) Approve(ctx context.Context, accountID, clientID string, scopes []string) error {
	if err := checkClient(clientID, scopes); err != nil {
		return err
	}
	if !validID(accountID) {
		return ErrNotFound
	}
	err := s.kv.Update(ctx, func(tx kv.Txn) error {
		var acct accountRecord
		found, err := txGet(tx, keyAccount(accountID), &acct)
		if err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		var rec approvalRecord
		if _, err := txGet(tx, keyApproved(accountID, clientID), &rec); err != nil {
			return err
		}
		merged := slices.Concat(rec.Scopes, scopes)
		slices.Sort(merged)
		merged = slices.Compact(merged)
		if len(merged) > maxScopes {
			return ErrInvalidClient
		}
		rec = approvalRecord{V: recordVersion, Client: clientID, Scopes: merged, Updated: s.now().UTC()}
		return txPut(tx, keyApproved(accountID, clientID), &rec, 0)
	})
	if err != nil {
		return fmt.Errorf("account: approve: %w", err)
	}
	return nil
}

// Approved reports whether the account has approved every one of these
// scopes for the client. Any failure (including a storage error) is false:
// the caller then asks for consent again.
func (s *Service) Approved(ctx context.Context, accountID, clientID string, scopes []string) bool {
	if checkClient(clientID, scopes) != nil || !validID(accountID) {
		return false
	}
	var rec approvalRecord
	found, err := s.get(ctx, keyApproved(accountID, clientID), &rec)
	if err != nil || !found {
		return false
	}
	for _, sc := range scopes {
		if !slices.Contains(rec.Scopes, sc) {
			return false
		}
	}
	return true
}

// ListApproved lists the clients the account approved, by client id.
func (s *Service) ListApproved(ctx context.Context, accountID string) ([]Approval, error) {
	if !validID(accountID) {
		return nil, ErrNotFound
	}
	var out []Approval
	err := s.kv.List(ctx, prefixApproved(accountID), func(key string, v []byte) error {
		var rec approvalRecord
		if err := decode(key, v, &rec); err != nil {
			return err
		}
		out = append(out, Approval{ClientID: rec.Client, Scopes: rec.Scopes, Updated: rec.Updated})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("account: list approved: %w", err)
	}
	return out, nil
}

// Revoke forgets the account's consent to the client; revoking a client
// never approved is not an error. (Tokens already issued to the client are
// the OpenID Provider's to revoke.)
func (s *Service) Revoke(ctx context.Context, accountID, clientID string) error {
	if !validID(accountID) {
		return ErrNotFound
	}
	if checkClient(clientID, nil) != nil {
		return nil
	}
	if err := s.kv.Delete(ctx, keyApproved(accountID, clientID)); err != nil {
		return fmt.Errorf("account: revoke: %w", err)
	}
	return nil
}

func checkClient(clientID string, scopes []string) error {
	if clientID == "" || len(clientID) > maxClientIDLen || len(scopes) > maxScopes {
		return ErrInvalidClient
	}
	for _, sc := range scopes {
		if sc == "" || len(sc) > maxScopeLen || strings.ContainsAny(sc, " \t\r\n") {
			return ErrInvalidClient
		}
	}
	return nil
}
