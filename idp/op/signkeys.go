package op

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/naamio/naamio/kv"
)

// retireMargin is how long past its last token's expiry a retired key stays
// in the JWKS (clock skew and caches).
const retireMargin = 5 * time.Minute

// storedKey is a signing key as kept in KV (kvSigningKeys). The private key
// is PKCS#8 DER (ES256, P-256); KV data is as protected as the database.
type storedKey struct {
	KID     string    `json:"kid"`
	PKCS8   []byte    `json:"pkcs8"`
	Created time.Time `json:"created"`
	// Retired is when another key became active (zero for the active key).
	Retired time.Time `json:"retired,omitzero"`
}

type storedKeySet struct {
	Keys []storedKey `json:"keys"` // the last one is active
}

type signingKey struct {
	kid  string
	priv *ecdsa.PrivateKey
}

// keyRing is the loaded key set: the active key signs, all are published.
type keyRing struct {
	active signingKey
	public jwk.Set // every key's public part, with kid, use and alg
	jwks   []byte  // public's JSON
}

func newStoredKey(now time.Time) (storedKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return storedKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storedKey{}, err
	}
	pk, err := jwk.FromRaw(priv.Public())
	if err != nil {
		return storedKey{}, err
	}
	tp, err := pk.Thumbprint(crypto.SHA256)
	if err != nil {
		return storedKey{}, err
	}
	// The kid is the RFC 7638 thumbprint: stable and unique per key.
	return storedKey{KID: base64.RawURLEncoding.EncodeToString(tp), PKCS8: der, Created: now}, nil
}

// loadKeys reads the key set from KV, creating a first key if there is none.
func (p *Provider) loadKeys(ctx context.Context) error {
	fresh, err := newStoredKey(p.now())
	if err != nil {
		return fmt.Errorf("op: generate signing key: %w", err)
	}
	var set storedKeySet
	err = p.kv.Update(ctx, func(tx kv.Txn) error {
		set = storedKeySet{}
		b, err := tx.Get(kvSigningKeys)
		if err == nil {
			return json.Unmarshal(b, &set)
		}
		if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		set.Keys = []storedKey{fresh}
		return putJSON(tx, kvSigningKeys, set, 0)
	})
	if err != nil {
		return fmt.Errorf("op: load signing keys: %w", err)
	}
	return p.installKeys(set)
}

// Rotate makes a new signing key active. The previous keys stay in the JWKS
// until every token they signed has expired; older ones are dropped. Tokens
// signed from now on carry the new kid (resource servers refetch the JWKS
// on an unknown kid).
func (p *Provider) Rotate(ctx context.Context) error {
	_, _, err := p.rotate(ctx, 0)
	return err
}

// rotate is Rotate, but with maxAge > 0 only if the active key is older
// than maxAge. It returns the active kid and whether it is a new one.
func (p *Provider) rotate(ctx context.Context, maxAge time.Duration) (string, bool, error) {
	p.rotateMu.Lock()
	defer p.rotateMu.Unlock()
	set, rotated, err := rotateStored(ctx, p.kv, p.accessTTL, p.now(), maxAge)
	if err != nil || !rotated {
		return p.keys.Load().active.kid, false, err
	}
	if err := p.installKeys(set); err != nil {
		return "", false, err
	}
	return set.Keys[len(set.Keys)-1].KID, true, nil
}

// KeyInfo describes a stored signing key; it holds no private material.
type KeyInfo struct {
	KID     string    // RFC 7638 thumbprint of the public key
	Created time.Time // when the key was made
	// Retired is when another key became active; zero for the active key.
	Retired time.Time
}

// ListKeys returns the signing keys stored in kv (the provider's
// Options.KV), oldest first: the last is the active one, and every one is
// published in the JWKS. No stored keys (a provider never started) is an
// empty list.
func ListKeys(ctx context.Context, records kv.KV) ([]KeyInfo, error) {
	var set storedKeySet
	b, err := records.Get(ctx, kvSigningKeys)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &set)
	}
	if err != nil {
		return nil, fmt.Errorf("op: read signing keys: %w", err)
	}
	return set.info(), nil
}

// RotateKeys is Provider.Rotate on a key set in records without a running
// provider (the server stopped): at now, it makes a new key active and
// drops the retired keys whose tokens, valid for accessTTL (0: the
// default), have all expired. It returns the keys left, as ListKeys.
func RotateKeys(ctx context.Context, records kv.KV, accessTTL time.Duration, now time.Time) ([]KeyInfo, error) {
	if accessTTL <= 0 {
		accessTTL = DefaultAccessTokenTTL
	}
	set, _, err := rotateStored(ctx, records, accessTTL, now, 0)
	if err != nil {
		return nil, err
	}
	return set.info(), nil
}

// rotateStored makes a fresh key active in the key set in records, unless maxAge > 0
// and the active key is not older than maxAge (then it returns the stored
// set and false). Retired keys stay until every token they signed (valid
// for accessTTL) has expired, plus retireMargin.
func rotateStored(ctx context.Context, records kv.KV, accessTTL time.Duration, now time.Time, maxAge time.Duration) (storedKeySet, bool, error) {
	keep := accessTTL + retireMargin
	var set storedKeySet
	var rotated bool
	err := records.Update(ctx, func(tx kv.Txn) error {
		var old storedKeySet
		if err := getJSON(tx, kvSigningKeys, &old); err != nil && !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if n := len(old.Keys); maxAge > 0 && n > 0 && now.Sub(old.Keys[n-1].Created) <= maxAge {
			set, rotated = old, false
			return nil
		}
		fresh, err := newStoredKey(now)
		if err != nil {
			return fmt.Errorf("generate signing key: %w", err)
		}
		set, rotated = storedKeySet{}, true
		for i, k := range old.Keys {
			if i == len(old.Keys)-1 && k.Retired.IsZero() {
				k.Retired = now
			}
			if !k.Retired.IsZero() && now.Sub(k.Retired) > keep {
				continue // every token it signed has expired
			}
			set.Keys = append(set.Keys, k)
		}
		set.Keys = append(set.Keys, fresh)
		return putJSON(tx, kvSigningKeys, set, 0)
	})
	if err != nil {
		return storedKeySet{}, false, fmt.Errorf("op: rotate signing keys: %w", err)
	}
	return set, rotated, nil
}

// info is the set's public description.
func (s storedKeySet) info() []KeyInfo {
	out := make([]KeyInfo, len(s.Keys))
	for i, k := range s.Keys {
		out[i] = KeyInfo{KID: k.KID, Created: k.Created, Retired: k.Retired}
	}
	return out
}

// installKeys parses set and makes it the provider's key ring.
func (p *Provider) installKeys(set storedKeySet) error {
	if len(set.Keys) == 0 {
		return errors.New("op: empty signing key set")
	}
	ring := &keyRing{public: jwk.NewSet()}
	for i, sk := range set.Keys {
		k, err := x509.ParsePKCS8PrivateKey(sk.PKCS8)
		if err != nil {
			return fmt.Errorf("op: stored signing key %d: %w", i, err)
		}
		priv, ok := k.(*ecdsa.PrivateKey)
		if !ok || priv.Curve != elliptic.P256() {
			return fmt.Errorf("op: stored signing key %d is not a P-256 key", i)
		}
		pub, err := jwk.FromRaw(priv.Public())
		if err != nil {
			return err
		}
		for name, v := range map[string]any{jwk.KeyIDKey: sk.KID, jwk.KeyUsageKey: "sig", jwk.AlgorithmKey: jwa.ES256} {
			if err := pub.Set(name, v); err != nil {
				return err
			}
		}
		if err := ring.public.AddKey(pub); err != nil {
			return err
		}
		if i == len(set.Keys)-1 {
			ring.active = signingKey{kid: sk.KID, priv: priv}
		}
	}
	b, err := json.Marshal(ring.public)
	if err != nil {
		return err
	}
	ring.jwks = b
	p.keys.Store(ring)
	return nil
}

// PublicKeys returns the published key set (public keys only).
func (p *Provider) PublicKeys() jwk.Set { return p.keys.Load().public }

// putJSON stores v as JSON under key in tx.
func putJSON(tx kv.Txn, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Set(key, b, ttl)
}

// getJSON reads key from tx into v; a missing key matches kv.ErrNotFound.
func getJSON(tx kv.Txn, key string, v any) error {
	b, err := tx.Get(key)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
