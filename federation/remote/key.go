package remote

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"

	"github.com/naamio/naamio/federation/httpsig"
)

// RSA key sizes accepted: peers use 2048 (Mastodon) to 4096 (Fedify); a
// larger key only makes each verification slower.
const (
	minKeyBits = 2048
	maxKeyBits = 8192
)

// FetchKey finds the key keyID names and the actor that owns it, the way
// Mastodon does:
//   - keyID is "<actor>#main-key": the actor document is fetched (its id
//     must be the URL without the fragment) and the key is the entry of
//     its publicKey (an object or an array) whose id is keyID;
//   - keyID has no fragment and its document is the key itself
//     (publicKeyPem at the top, id keyID): its owner is fetched and must
//     list keyID among its keys;
//   - keyID has no fragment and is answered with another document (as
//     GoToSocial's ".../main-key" answers with the actor): that document is
//     fetched again from its own id, and must list keyID.
//
// A key listed by an actor must name that actor as owner (or none). The
// owner returned is thus always an actor document that lists the key.
func (f *Fetcher) FetchKey(ctx context.Context, keyID string) (*httpsig.PublicKey, error) {
	u, err := url.Parse(keyID)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("%w: keyId %q is not an absolute URL", ErrInvalid, keyID)
	}
	docURL := *u
	docURL.Fragment, docURL.RawFragment = "", ""
	doc, err := f.get(ctx, docURL.String())
	if err != nil {
		return nil, err
	}
	switch {
	case doc.ID == docURL.String():
	case u.Fragment == "":
		// Answered with the document the key belongs to: trust it only as
		// fetched from its own id.
		if doc, err = f.Fetch(ctx, doc.ID); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: fetched %s, id %q", ErrIDMismatch, docURL.String(), doc.ID)
	}

	if doc.ID == keyID {
		if _, isKey := doc.Object["publicKeyPem"]; isKey {
			return f.confirmOwner(ctx, keyID, doc.Object)
		}
	}
	return listedKey(doc, keyID)
}

// listedKey is the key keyID among doc's publicKey entries, owned by doc.
func listedKey(doc *Document, keyID string) (*httpsig.PublicKey, error) {
	for _, entry := range publicKeys(doc.Object) {
		if id, _ := entry["id"].(string); id != keyID {
			continue
		}
		owner, _ := entry["owner"].(string)
		if owner != "" && owner != doc.ID {
			return nil, fmt.Errorf("%w: %s lists key %s owned by %q", ErrNoKey, doc.ID, keyID, owner)
		}
		pub, err := ParsePublicKeyPEM(entry["publicKeyPem"])
		if err != nil {
			return nil, err
		}
		return &httpsig.PublicKey{ID: keyID, Owner: doc.ID, Key: pub}, nil
	}
	return nil, fmt.Errorf("%w: %s does not list %s", ErrNoKey, doc.ID, keyID)
}

// confirmOwner: a stand-alone key document names its owner; the owner's
// own document must list the same key.
func (f *Fetcher) confirmOwner(ctx context.Context, keyID string, key map[string]any) (*httpsig.PublicKey, error) {
	owner, _ := key["owner"].(string)
	if owner == "" {
		return nil, fmt.Errorf("%w: key %s has no owner", ErrNoKey, keyID)
	}
	pub, err := ParsePublicKeyPEM(key["publicKeyPem"])
	if err != nil {
		return nil, err
	}
	actor, err := f.Fetch(ctx, owner)
	if err != nil {
		return nil, err
	}
	listed, err := listedKey(actor, keyID)
	if err != nil {
		return nil, err
	}
	if !listed.Key.Equal(pub) {
		return nil, fmt.Errorf("%w: %s lists another key under %s", ErrNoKey, owner, keyID)
	}
	return listed, nil
}

// publicKeys is the publicKey member as a list of objects (it may be one
// object, an array, or contain bare IRIs, which are skipped).
func publicKeys(obj map[string]any) []map[string]any {
	var out []map[string]any
	switch pk := obj["publicKey"].(type) {
	case map[string]any:
		out = append(out, pk)
	case []any:
		for _, e := range pk {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// ParsePublicKeyPEM parses an RSA public key in PEM, as SPKI ("PUBLIC KEY",
// what Mastodon and Fedify publish) or PKCS #1 ("RSA PUBLIC KEY", some
// older servers). v is the JSON value of publicKeyPem.
func ParsePublicKeyPEM(v any) (*rsa.PublicKey, error) {
	s, _ := v.(string)
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("%w: publicKeyPem is not PEM", ErrNoKey)
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block %q", ErrNoKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: not an RSA key (%T)", ErrNoKey, pub)
	}
	if n := rk.N.BitLen(); n < minKeyBits || n > maxKeyBits {
		return nil, fmt.Errorf("%w: RSA key of %d bits", ErrNoKey, n)
	}
	return rk, nil
}
