package auth

// The second step: the issuer's OpenID Connect discovery document gives its
// jwks_uri (OpenID Connect Discovery §4).

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// issuer returns iss's cached state, or fetches its discovery document and
// JWKS. fresh reports that the key set was fetched by this call.
func (a *Authenticator) issuer(ctx context.Context, iss string, now time.Time) (*issuerState, bool, error) {
	if st, ok := a.issuers.get(iss, now); ok {
		return st, false, nil
	}
	resp, err := a.fetch(ctx, strings.TrimSuffix(iss, "/")+"/.well-known/openid-configuration", "application/json", "issuer discovery")
	if err != nil {
		return nil, false, err
	}
	var d discovery
	if err := json.Unmarshal(resp.Body, &d); err != nil {
		return nil, false, unauthReason("issuer discovery document is not JSON", err)
	}
	if d.Issuer != iss {
		return nil, false, unauthReason("issuer discovery document names another issuer", nil)
	}
	if d.JWKSURI == "" {
		return nil, false, unauthReason("issuer discovery document has no jwks_uri", nil)
	}
	if reason := a.checkFetchable(d.JWKSURI, false); reason != "" {
		return nil, false, unauthReason("jwks_uri "+reason, nil)
	}
	keys, err := a.fetchKeys(ctx, d.JWKSURI)
	if err != nil {
		return nil, false, err
	}
	st := &issuerState{jwksURI: d.JWKSURI, keys: keys, fetched: now}
	a.issuers.put(iss, st, now.Add(a.ttl), now)
	return st, true, nil
}
