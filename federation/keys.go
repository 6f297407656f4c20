package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/naamio/naamio/kv"
)

// Keys gives the signing key of a pod's actor: the private key for
// signing requests (HTTP Signatures, rsa-sha256) and the public key as
// published in the actor document. A key is made on first need.
type Keys interface {
	// Key returns pod's key, generating and storing it the first time.
	// The caller must only ask for pods that exist.
	Key(ctx context.Context, pod string) (*PodKey, error)
}

// PodKey is one pod's RSA key pair. It is immutable; share it freely.
type PodKey struct {
	Private *rsa.PrivateKey
	// PublicPEM is the public key as a PEM "PUBLIC KEY" block (SPKI), the
	// form publicKeyPem has for Mastodon and every peer.
	PublicPEM string
	Created   time.Time
}

// KeyBits is the RSA modulus size: 2048 is what Mastodon generates and
// every peer verifies. Generating one costs ~78 ms of one core on the
// 2-core test machine (BenchmarkGenerateKey, 20 runs; a cached key ~94 ns),
// which is why a key is made once per pod and only when first needed.
const KeyBits = 2048

var _ Keys = (*KeyStore)(nil)

// KeyStore keeps each pod's key in the kv.Federation namespace under
// key/<pod> and in memory once read. It generates at most one key at a
// time (a burst of first requests for many pods costs one core, not
// all), and for each pod at most once even when asked concurrently.
type KeyStore struct {
	kv   kv.KV
	bits int
	now  func() time.Time

	gen   sync.Mutex // held while a key is generated
	mu    sync.Mutex // guards keys and wait
	keys  map[string]*PodKey
	wait  map[string]chan struct{} // closed when a pod's load or generation ends
	loads int                      // loads that reached kv or generated (tests)
}

// NewKeyStore returns the key store on records (the kv.Federation
// namespace).
func NewKeyStore(records kv.KV) *KeyStore {
	return &KeyStore{kv: records, bits: KeyBits, now: time.Now,
		keys: map[string]*PodKey{}, wait: map[string]chan struct{}{}}
}

// keyRecord is the stored form: the private key as PKCS #8 DER.
type keyRecord struct {
	V       int       `json:"v"`
	PKCS8   []byte    `json:"pkcs8"`
	Created time.Time `json:"created"`
}

func keyKey(pod string) string { return "key/" + pod }

// Key implements Keys.
func (s *KeyStore) Key(ctx context.Context, pod string) (*PodKey, error) {
	if !validPodName(pod) && pod != instanceKey {
		return nil, fmt.Errorf("federation: no key for %q: not a pod name", pod)
	}
	for {
		s.mu.Lock()
		if k, ok := s.keys[pod]; ok {
			s.mu.Unlock()
			return k, nil
		}
		if ch, ok := s.wait[pod]; ok {
			s.mu.Unlock()
			select {
			case <-ch:
				continue // loaded, or failed: then try again ourselves
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		s.wait[pod] = ch
		s.loads++
		s.mu.Unlock()
		k, err := s.loadOrCreate(ctx, pod)
		s.mu.Lock()
		delete(s.wait, pod)
		if err == nil {
			s.keys[pod] = k
		}
		s.mu.Unlock()
		close(ch)
		return k, err
	}
}

// loadOrCreate reads pod's key from kv, or generates and stores one. The
// store keeps the first key written, so two servers (or a retried
// transaction) never leave a pod with two keys.
func (s *KeyStore) loadOrCreate(ctx context.Context, pod string) (*PodKey, error) {
	b, err := s.kv.Get(ctx, keyKey(pod))
	if err == nil {
		return decodeKey(b)
	}
	if !errors.Is(err, kv.ErrNotFound) {
		return nil, err
	}
	s.gen.Lock()
	priv, err := rsa.GenerateKey(rand.Reader, s.bits)
	s.gen.Unlock()
	if err != nil {
		return nil, fmt.Errorf("federation: generating the key of %s: %w", pod, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	fresh, err := json.Marshal(keyRecord{V: 1, PKCS8: der, Created: s.now().UTC()})
	if err != nil {
		return nil, err
	}
	var stored []byte
	err = s.kv.Update(ctx, func(tx kv.Txn) error {
		cur, err := tx.Get(keyKey(pod))
		switch {
		case err == nil:
			stored = cur
			return nil
		case !errors.Is(err, kv.ErrNotFound):
			return err
		}
		stored = fresh
		return tx.Set(keyKey(pod), fresh, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: storing the key of %s: %w", pod, err)
	}
	return decodeKey(stored)
}

// Forget removes pod's key (the pod was deleted: a later pod of the same
// name gets a new key).
func (s *KeyStore) Forget(ctx context.Context, pod string) error {
	s.mu.Lock()
	delete(s.keys, pod)
	s.mu.Unlock()
	return s.kv.Delete(ctx, keyKey(pod))
}

func decodeKey(b []byte) (*PodKey, error) {
	var rec keyRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("federation: stored key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(rec.PKCS8)
	if err != nil {
		return nil, fmt.Errorf("federation: stored key: %w", err)
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("federation: stored key is a %T, not RSA", k)
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
	return &PodKey{Private: priv, PublicPEM: pemText, Created: rec.Created}, nil
}

// ForgetPod removes everything federation keeps for pod (its key and
// settings), for a pod name that is given out again: the new owner must
// not sign with the old owner's key (server: naamio pod release).
func ForgetPod(ctx context.Context, records kv.KV, pod string) error {
	return records.Update(ctx, func(tx kv.Txn) error {
		if err := tx.Delete(keyKey(pod)); err != nil {
			return err
		}
		return tx.Delete(settingsKey(pod))
	})
}
