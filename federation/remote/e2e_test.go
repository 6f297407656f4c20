package remote

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/federation/httpsig"
)

// inbox is a test inbox on 127.0.0.1 wired the way the server's will be:
// the body read with a cap, the signature verified with keys from a
// KeyCache over a safehttp Fetcher, the signer checked against the
// activity's actor, errors mapped to 401 and 503.
func inbox(t *testing.T, keys httpsig.KeyResolver) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	v, err := httpsig.NewVerifier(keys, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		got, err := v.Verify(r, body)
		if err == nil {
			var act struct {
				Actor string `json:"actor"`
			}
			json.Unmarshal(body, &act)
			err = got.CheckActor(act.Actor)
		}
		switch {
		case errors.Is(err, httpsig.ErrKeyUnavailable):
			http.Error(w, "try later", http.StatusServiceUnavailable)
		case err != nil:
			http.Error(w, err.Error(), http.StatusUnauthorized)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	})
	return srv
}

func deliver(t *testing.T, to, keyID string, key *rsa.PrivateKey, actor string, rfc9421 bool) (int, string) {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Like","actor":%q,"object":"https://naamio.example/notes/1"}`, actor))
	r, err := http.NewRequest(http.MethodPost, to+"/alice/inbox/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/activity+json")
	sign := httpsig.Sign
	if rfc9421 {
		sign = httpsig.Sign9421
	}
	if err := sign(r, keyID, key, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg)
}

// The inbox path end to end over real HTTP: a peer on 127.0.0.1 signs,
// the inbox fetches the peer's key through safehttp and verifies.
func TestInboxVerificationEndToEnd(t *testing.T) {
	k, rotated := testKeys(t)
	p := newPeer(t)
	alice, bob := p.URL+"/users/alice", p.URL+"/users/bob"
	p.put("/users/alice", 200, as2, p.actorDoc("/users/alice", &k.PublicKey))
	p.put("/users/bob", 200, as2, p.actorDoc("/users/bob", &rotated.PublicKey))
	victim := newPeer(t)
	victim.put("/users/eve", 200, as2, victim.actorDoc("/users/eve", &k.PublicKey))
	cache := NewKeyCache(fetcherFor(t, 0, p.addr(t)), KeyCacheOptions{MinRefresh: 1})
	in := inbox(t, cache)

	for _, rfc := range []bool{false, true} {
		form := map[bool]string{false: "cavage", true: "rfc9421"}[rfc]
		t.Run(form+" accepted", func(t *testing.T) {
			if code, msg := deliver(t, in.URL, alice+"#main-key", k, alice, rfc); code != http.StatusAccepted {
				t.Fatalf("%d %s", code, msg)
			}
		})
		t.Run(form+" row36 key owner is not the actor", func(t *testing.T) {
			if code, msg := deliver(t, in.URL, alice+"#main-key", k, bob, rfc); code != http.StatusUnauthorized {
				t.Fatalf("%d %s, want 401", code, msg)
			}
		})
	}
	if n := p.hitsOf("/users/alice"); n != 1 {
		t.Errorf("alice's key fetched %d times, want 1 (cached)", n)
	}

	t.Run("row44 rotated key refetched once", func(t *testing.T) {
		p.put("/users/alice", 200, as2, p.actorDoc("/users/alice", &rotated.PublicKey))
		if code, msg := deliver(t, in.URL, alice+"#main-key", rotated, alice, false); code != http.StatusAccepted {
			t.Fatalf("%d %s", code, msg)
		}
		if n := p.hitsOf("/users/alice"); n != 2 {
			t.Errorf("alice's key fetched %d times, want 2", n)
		}
	})
	t.Run("row44 key fetch fails temporarily: 503", func(t *testing.T) {
		p.put("/users/carol", 503, "text/plain", []byte("down"))
		carol := p.URL + "/users/carol"
		if code, msg := deliver(t, in.URL, carol+"#main-key", k, carol, true); code != http.StatusServiceUnavailable {
			t.Fatalf("%d %s, want 503", code, msg)
		}
	})
	t.Run("row39 actor served as application/json: 401", func(t *testing.T) {
		p.put("/users/dave", 200, "application/json", p.actorDoc("/users/dave", &k.PublicKey))
		dave := p.URL + "/users/dave"
		if code, msg := deliver(t, in.URL, dave+"#main-key", k, dave, false); code != http.StatusUnauthorized {
			t.Fatalf("%d %s, want 401", code, msg)
		}
	})
	t.Run("row41 keyId on a private address: 401, never fetched", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(victim.Listener.Addr().String())
		eve := "http://127.0.0.1:" + port + "/users/eve"
		if code, msg := deliver(t, in.URL, eve+"#main-key", k, eve, false); code != http.StatusUnauthorized {
			t.Fatalf("%d %s, want 401 (a refused address is not worth a retry)", code, msg)
		}
		if n := victim.totalHits(); n != 0 {
			t.Fatalf("the private server was reached %d times", n)
		}
	})
	t.Run("row37 stale request never fetches the key", func(t *testing.T) {
		before := p.hitsOf("/users/erin")
		body := `{"actor":"x"}`
		r, _ := http.NewRequest(http.MethodPost, in.URL+"/alice/inbox/", strings.NewReader(body))
		r.Header.Set("Date", "Mon, 07 Dec 2020 07:00:00 GMT")
		if err := httpsig.Sign(r, p.URL+"/users/erin#main-key", k, []byte(body)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || p.hitsOf("/users/erin") != before {
			t.Fatalf("%d, %d fetches", resp.StatusCode, p.hitsOf("/users/erin")-before)
		}
	})
}

// Authorized fetch: a peer that requires signed GETs gets one, signed
// again on each redirect hop (the signature covers the path).
func TestSignedFetch(t *testing.T) {
	k, _ := testKeys(t)
	p := newPeer(t)
	const ourKey = "https://naamio.example/.ap/actors/alice#main-key"
	keys := staticKeys{ourKey: {ID: ourKey, Owner: "https://naamio.example/.ap/actors/alice", Key: &k.PublicKey}}
	v, err := httpsig.NewVerifier(keys, p.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var verified []string
	p.guard = func(w http.ResponseWriter, r *http.Request) bool {
		if _, err := v.Verify(r, nil); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return true
		}
		mu.Lock()
		verified = append(verified, r.URL.Path)
		mu.Unlock()
		return false
	}
	p.redirect("/old/1", p.URL+"/notes/1")
	p.put("/notes/1", 200, as2, map[string]any{"id": p.URL + "/old/1", "type": "Note"})

	f := fetcherFor(t, 0, p.addr(t))
	if _, err := f.Fetch(context.Background(), p.URL+"/old/1"); !errors.Is(err, ErrRefused) {
		t.Fatalf("unsigned: %v, want ErrRefused (401)", err)
	}
	f.Sign = func(r *http.Request) error { return httpsig.Sign(r, ourKey, k, nil) }
	if _, err := f.Fetch(context.Background(), p.URL+"/old/1"); err != nil {
		t.Fatalf("signed: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(verified, " ") != "/old/1 /notes/1" {
		t.Errorf("verified hops %v", verified)
	}
}

// staticKeys is a KeyResolver over fixed keys (for the test peer).
type staticKeys map[string]*httpsig.PublicKey

func (s staticKeys) Key(_ context.Context, keyID string, _ bool) (*httpsig.PublicKey, error) {
	if k, ok := s[keyID]; ok {
		return k, nil
	}
	return nil, errors.New("unknown key")
}
