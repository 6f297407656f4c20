package server

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/federation/remote"
)

// rotate gives the peer's actors a new key (the documents it serves name
// it) and returns the old one.
func (p *testPeer) rotate(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.key
	p.key = key
	p.pem = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	for _, d := range p.docs {
		if m, ok := d.(map[string]any); ok {
			if pk, ok := m["publicKey"].(map[string]any); ok {
				pk["publicKeyPem"] = p.pem
			}
		}
	}
	return old
}

func (p *testPeer) getsOf(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets[path]
}

// Issue 14 (d), SECURITY row 44 end to end: a peer rotates its key. Its
// next inbox POST signed with the new key is refused while the cached key
// is younger than the refetch floor (remote.DefaultMinRefresh: a stream of
// bad signatures must not turn into a stream of fetches), with no fetch;
// past the floor it is accepted after exactly one refetch of the key;
// a POST signed with the old key after the rotation is refused (401)
// without another fetch; later new-key POSTs use the cached new key.
// Both signature forms (draft-cavage, RFC 9421).
func TestInboxKeyRotation(t *testing.T) {
	for _, scheme := range []string{"cavage", "rfc9421"} {
		t.Run(scheme, func(t *testing.T) {
			sign := httpsig.Sign
			if scheme == "rfc9421" {
				sign = httpsig.Sign9421
			}
			var skew atomic.Int64
			e := newFedEnvWith(t, 1, func(c *Config) {
				c.fedKeyClock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
			})
			p := e.peers[0]
			carl := p.actor("carl")
			post := func(what string, key *rsa.PrivateKey, want int) {
				t.Helper()
				a := activity("Like", carl, e.actor("alice")+"/objects/n1")
				b, _ := json.Marshal(a)
				req, _ := http.NewRequest(http.MethodPost, e.inbox("alice"), strings.NewReader(string(b)))
				req.Header.Set("Content-Type", "application/activity+json")
				if err := sign(req, carl+"#main-key", key, b); err != nil {
					t.Fatal(err)
				}
				if st, body := do(t, req); st != want {
					t.Fatalf("%s: %d %s, want %d", what, st, body, want)
				}
			}
			keyGets := func() int { return p.getsOf("/users/carl") }
			post("before the rotation", p.key, http.StatusAccepted)
			if n := keyGets(); n != 1 {
				t.Fatalf("%d key fetches for the first POST", n)
			}
			old := p.rotate(t)
			post("new key, inside the refetch floor", p.key, http.StatusUnauthorized)
			if n := keyGets(); n != 1 {
				t.Fatalf("refetched inside the floor: %d fetches", n)
			}
			skew.Store(int64(remote.DefaultMinRefresh + time.Second))
			post("new key, past the floor", p.key, http.StatusAccepted)
			if n := keyGets(); n != 2 {
				t.Fatalf("%d key fetches, want 2 (one refetch)", n)
			}
			post("old key after the rotation", old, http.StatusUnauthorized)
			post("new key again", p.key, http.StatusAccepted)
			if n := keyGets(); n != 2 {
				t.Fatalf("%d key fetches, want still 2", n)
			}
		})
	}
}
