package httpsig

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// SECURITY row 44, rotation: the cached key no longer verifies, the
// resolver is asked once with refresh, the new key verifies.
func TestKeyRotationRefetchesOnce(t *testing.T) {
	old, rotated := testKeys(t)
	body := []byte(activity)
	for _, scheme := range []string{"cavage", "rfc9421"} {
		t.Run(scheme, func(t *testing.T) {
			kr := newKeyring(alicePublic(old))
			kr.rotated[aliceKeyID] = alicePublic(rotated)
			r := outgoingPOST(t, inboxURL, body)
			sign := Sign
			if scheme == "rfc9421" {
				sign = Sign9421
			}
			if err := sign(r, aliceKeyID, rotated, body); err != nil {
				t.Fatal(err)
			}
			if _, err := testVerifier(kr).Verify(asReceived(r, body), body); err != nil {
				t.Fatalf("refused after rotation: %v", err)
			}
			if calls, refreshes := kr.counts(); calls != 2 || refreshes != 1 {
				t.Errorf("%d resolver calls, %d refreshes; want 2, 1", calls, refreshes)
			}
		})
	}
}

// A signature by a key the owner never published is refused after exactly
// one refetch: no loop.
func TestBadSignatureRefetchesOnlyOnce(t *testing.T) {
	k, other := testKeys(t)
	body := []byte(activity)
	kr := newKeyring(alicePublic(k))
	r := outgoingPOST(t, inboxURL, body)
	if err := Sign(r, aliceKeyID, other, body); err != nil {
		t.Fatal(err)
	}
	_, err := testVerifier(kr).Verify(asReceived(r, body), body)
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("err = %v, want ErrBadSignature", err)
	}
	if calls, refreshes := kr.counts(); calls != 2 || refreshes != 1 {
		t.Errorf("%d resolver calls, %d refreshes; want 2, 1", calls, refreshes)
	}
}

// SECURITY row 44, temporary failure: the resolver's ErrKeyUnavailable
// comes out as ErrKeyUnavailable (503), not as a rejection (401); a
// permanent failure is ErrNoKey (401).
func TestKeyFetchFailures(t *testing.T) {
	k, _ := testKeys(t)
	body := []byte(activity)
	cases := []struct {
		name      string
		fail      error
		want      error
		rejection bool
	}{
		{"row44 temporary", fmt.Errorf("peer answered 502: %w", ErrKeyUnavailable), ErrKeyUnavailable, false},
		{"row44 deadline", context.DeadlineExceeded, ErrKeyUnavailable, false},
		{"permanent", errors.New("410 Gone"), ErrNoKey, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kr := newKeyring(alicePublic(k))
			kr.fail = c.fail
			r := outgoingPOST(t, inboxURL, body)
			if err := Sign(r, aliceKeyID, k, body); err != nil {
				t.Fatal(err)
			}
			_, err := testVerifier(kr).Verify(asReceived(r, body), body)
			if !errors.Is(err, c.want) || errors.Is(err, ErrRejected) != c.rejection {
				t.Fatalf("err = %v, want %v (rejection %v)", err, c.want, c.rejection)
			}
		})
	}
}

// A resolver that answers with a key of another id, or without an owner,
// is not trusted.
func TestResolverAnswerChecked(t *testing.T) {
	k, _ := testKeys(t)
	body := []byte(activity)
	for name, pk := range map[string]*PublicKey{
		"other id": {ID: "https://peer.example/users/mallory#main-key", Owner: aliceActor, Key: &k.PublicKey},
		"no owner": {ID: aliceKeyID, Key: &k.PublicKey},
		"no key":   {ID: aliceKeyID, Owner: aliceActor},
	} {
		t.Run(name, func(t *testing.T) {
			kr := &keyring{keys: map[string]*PublicKey{aliceKeyID: pk}, rotated: map[string]*PublicKey{}}
			r := outgoingPOST(t, inboxURL, body)
			if err := Sign(r, aliceKeyID, k, body); err != nil {
				t.Fatal(err)
			}
			if _, err := testVerifier(kr).Verify(asReceived(r, body), body); !errors.Is(err, ErrNoKey) {
				t.Fatalf("err = %v, want ErrNoKey", err)
			}
		})
	}
}

// SECURITY row 36: the caller compares the key's owner with the activity's
// actor through CheckActor.
func TestCheckActor(t *testing.T) {
	v := &Verified{KeyID: aliceKeyID, Owner: aliceActor, Scheme: Cavage}
	if err := v.CheckActor(aliceActor); err != nil {
		t.Fatalf("own actor refused: %v", err)
	}
	for _, actor := range []string{
		"https://peer.example/users/mallory",
		"https://peer.example/users/alice/",
		"https://PEER.example/users/alice",
		"https://peer.example/users/alice#main-key",
		"http://peer.example/users/alice",
		"",
	} {
		if err := v.CheckActor(actor); !errors.Is(err, ErrActorMismatch) || !errors.Is(err, ErrRejected) {
			t.Errorf("actor %q: err = %v, want ErrActorMismatch", actor, err)
		}
	}
	var none *Verified
	if err := none.CheckActor(aliceActor); !errors.Is(err, ErrActorMismatch) {
		t.Errorf("nil Verified: %v", err)
	}
	if err := (&Verified{KeyID: aliceKeyID}).CheckActor(""); !errors.Is(err, ErrActorMismatch) {
		t.Errorf("empty owner and actor: %v", err)
	}
}

// Pods on subdomains: <name>.<base host> is accepted when configured, one
// label deep only.
func TestSubdomainHosts(t *testing.T) {
	k, _ := testKeys(t)
	body := []byte(activity)
	v := testVerifier(newKeyring(alicePublic(k)))
	v.Subdomains = true
	for host, ok := range map[string]bool{
		"alice.naamio.example":     true,
		"ALICE.naamio.example:443": true,
		"a.b.naamio.example":       false,
		"naamio.example.evil":      false,
		"evilnaamio.example":       false,
		".naamio.example":          false,
	} {
		t.Run(host, func(t *testing.T) {
			r := outgoingPOST(t, "https://"+host+"/inbox/", body)
			if err := Sign(r, aliceKeyID, k, body); err != nil {
				t.Fatal(err)
			}
			_, err := v.Verify(asReceived(r, body), body)
			if ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !ok && !errors.Is(err, ErrHost) {
				t.Fatalf("err = %v, want ErrHost", err)
			}
		})
	}
}

// Over real HTTP on 127.0.0.1: requests signed by Sign and Sign9421 are
// sent through net/http and verified by a handler, for paths with
// percent-escapes and queries; the handler maps the error kinds to the
// statuses an inbox answers (401, 503), as the inbox handler will.
func TestVerifyOverHTTP(t *testing.T) {
	k, other := testKeys(t)
	kr := newKeyring(alicePublic(k))
	srv := httptest.NewServer(nil)
	defer srv.Close()
	v, err := NewVerifier(kr, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		got, err := v.Verify(r, body)
		switch {
		case errors.Is(err, ErrKeyUnavailable):
			w.WriteHeader(http.StatusServiceUnavailable)
		case err != nil:
			w.WriteHeader(http.StatusUnauthorized)
		default:
			io.WriteString(w, string(got.Scheme)+" "+got.KeyID)
		}
	})
	base, _ := url.Parse(srv.URL)
	body := []byte(activity)
	for _, c := range []struct {
		name, method, path string
		key                bool // signed by the right key
		sign               func(*http.Request, string, *rsa.PrivateKey, []byte) error
		want               int
	}{
		{"cavage POST", http.MethodPost, "/alice/inbox/", true, Sign, 200},
		{"cavage POST escaped path and query", http.MethodPost, "/al%20ice/inbox/?a=%2F&b=c", true, Sign, 200},
		{"cavage GET with query", http.MethodGet, "/.ap/actors/bob/outbox?page=2", true, Sign, 200},
		{"rfc9421 POST", http.MethodPost, "/alice/inbox/", true, Sign9421, 200},
		{"rfc9421 POST escaped path and query", http.MethodPost, "/al%20ice/inbox/?a=%2F&b=c", true, Sign9421, 200},
		{"rfc9421 GET with query", http.MethodGet, "/.ap/actors/bob/outbox?page=2", true, Sign9421, 200},
		{"cavage wrong key 401", http.MethodPost, "/alice/inbox/", false, Sign, 401},
		{"rfc9421 wrong key 401", http.MethodPost, "/alice/inbox/", false, Sign9421, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b []byte
			if c.method == http.MethodPost {
				b = body
			}
			r, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			key := k
			if !c.key {
				key = other
			}
			if err := c.sign(r, aliceKeyID, key, b); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("%s %s%s: %d %s", c.method, base.Host, c.path, resp.StatusCode, got)
			}
		})
	}
	t.Run("row44 key unavailable 503", func(t *testing.T) {
		kr.mu.Lock()
		kr.fail = fmt.Errorf("timeout: %w", ErrKeyUnavailable)
		kr.mu.Unlock()
		defer func() { kr.mu.Lock(); kr.fail = nil; kr.mu.Unlock() }()
		r, _ := http.NewRequest(http.MethodPost, srv.URL+"/alice/inbox/", strings.NewReader(activity))
		if err := Sign(r, aliceKeyID, k, body); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", resp.StatusCode)
		}
	})
}
