package auth

// The third step: the issuer's signing keys (JWKS), cached per issuer and
// refetched, rate limited, when a token names an unknown key (rotation).

import (
	"context"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

type issuerState struct {
	jwksURI string
	mu      sync.Mutex // serialises refetches
	keys    jwk.Set
	fetched time.Time
}

func (s *issuerState) get() (jwk.Set, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys, s.fetched
}

// refetchKeys refetches st's JWKS if it has not been (re)fetched since seen
// and not within the refetch interval. It returns nil keys when no refetch
// was done.
func (a *Authenticator) refetchKeys(ctx context.Context, st *issuerState, seen, now time.Time) (jwk.Set, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.fetched.After(seen) {
		return st.keys, nil // another request refetched meanwhile
	}
	if now.Sub(st.fetched) < a.refetch {
		return nil, nil
	}
	keys, err := a.fetchKeys(ctx, st.jwksURI)
	if err != nil {
		return nil, err
	}
	st.keys, st.fetched = keys, now
	return keys, nil
}

func (a *Authenticator) fetchKeys(ctx context.Context, jwksURI string) (jwk.Set, error) {
	resp, err := a.fetch(ctx, jwksURI, "application/jwk-set+json, application/json", "issuer JWKS")
	if err != nil {
		return nil, err
	}
	keys, err := jwk.Parse(resp.Body)
	if err != nil {
		return nil, unauthReason("issuer JWKS does not parse", err)
	}
	return keys, nil
}
