package httpsig

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Test keys are made once: RSA generation is slow, more so under -race.
var (
	keysOnce           sync.Once
	aliceKey, otherKey *rsa.PrivateKey
)

const (
	aliceActor = "https://peer.example/users/alice"
	aliceKeyID = aliceActor + "#main-key"
	publicURL  = "https://naamio.example"
	inboxURL   = publicURL + "/alice/inbox/"
)

// fixedNow is the clock of the tests (any fixed instant will do).
var fixedNow = time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)

func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if aliceKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return aliceKey, otherKey
}

// keyring is a KeyResolver over a fixed set of keys. It counts the calls
// and, when rotated is set, answers a refresh with the rotated key (the
// owner published a new key since the last fetch). An error set in fail is
// returned instead of a key.
type keyring struct {
	mu       sync.Mutex
	keys     map[string]*PublicKey
	rotated  map[string]*PublicKey
	fail     error
	calls    int
	refreshs int
}

func newKeyring(keys ...*PublicKey) *keyring {
	kr := &keyring{keys: map[string]*PublicKey{}, rotated: map[string]*PublicKey{}}
	for _, k := range keys {
		kr.keys[k.ID] = k
	}
	return kr
}

func (kr *keyring) Key(_ context.Context, keyID string, refresh bool) (*PublicKey, error) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	kr.calls++
	if refresh {
		kr.refreshs++
		if k, ok := kr.rotated[keyID]; ok {
			kr.keys[keyID] = k
		}
	}
	if kr.fail != nil {
		return nil, kr.fail
	}
	k, ok := kr.keys[keyID]
	if !ok {
		return nil, fmt.Errorf("no key %s", keyID)
	}
	return k, nil
}

func (kr *keyring) counts() (calls, refreshes int) {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.calls, kr.refreshs
}

func alicePublic(k *rsa.PrivateKey) *PublicKey {
	return &PublicKey{ID: aliceKeyID, Owner: aliceActor, Key: &k.PublicKey}
}

func testVerifier(keys KeyResolver) *Verifier {
	v, err := NewVerifier(keys, publicURL)
	if err != nil {
		panic(err)
	}
	v.Now = func() time.Time { return fixedNow }
	return v
}

const activity = `{"@context":"https://www.w3.org/ns/activitystreams","type":"Like","actor":"https://peer.example/users/alice","object":"https://naamio.example/.ap/actors/bob/objects/1"}`

// outgoingPOST is a POST to the inbox dated at the tests' clock.
func outgoingPOST(t testing.TB, target string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/activity+json")
	r.Header.Set("Date", fixedNow.Format(http.TimeFormat))
	return r
}

// asReceived turns a signed client request into the request a server
// handler sees: RequestURI from the request line, Host from the Host
// header, the same header fields.
func asReceived(out *http.Request, body []byte) *http.Request {
	in := httptest.NewRequest(out.Method, out.URL.RequestURI(), bytes.NewReader(body))
	in.Header = out.Header.Clone()
	in.Host = out.URL.Host
	if out.Host != "" {
		in.Host = out.Host
	}
	return in
}

func b64sha256(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}
