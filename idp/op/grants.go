package op

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Grant is an app's standing access to an account: a refresh token family
// (for the account page's "connected apps").
type Grant struct {
	ID         string
	ClientID   string
	ClientName string
	WebID      string
	Scopes     []string
	Created    time.Time
}

// Grants lists the live (unrevoked) grants of accountID.
func (p *Provider) Grants(ctx context.Context, accountID string) ([]Grant, error) {
	prefix := grantPrefix(accountID)
	var out []Grant
	err := p.kv.List(ctx, prefix, func(key string, value []byte) error {
		var g grantRecord
		if err := json.Unmarshal(value, &g); err != nil || g.Revoked {
			return nil
		}
		out = append(out, Grant{ID: strings.TrimPrefix(key, prefix), ClientID: g.ClientID, ClientName: g.ClientName,
			WebID: g.WebID, Scopes: g.Scopes, Created: time.Unix(g.Created, 0)})
		return nil
	})
	return out, err
}

// RevokeClient revokes every grant accountID gave clientID: their refresh
// tokens and the access tokens issued with them stop working at once. The
// app leaves the account's connected apps.
func (p *Provider) RevokeClient(ctx context.Context, accountID, clientID string) error {
	if err := p.forgetApp(ctx, accountID, clientID); err != nil {
		return err
	}
	gs, err := p.Grants(ctx, accountID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.ClientID != clientID {
			continue
		}
		if err := p.revokeGrant(ctx, grantPrefix(accountID)+g.ID); err != nil {
			return err
		}
	}
	return nil
}

// revokeGrant is Revocations.revokeGrant on the provider's revocations.
func (p *Provider) revokeGrant(ctx context.Context, key string) error {
	return p.rev.revokeGrant(ctx, key)
}
