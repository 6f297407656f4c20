package op

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// clockedOP is a test provider with a settable clock (starting now, so
// that DPoP proofs made at the clock's time are in the window) on a
// Badger store whose directory the test knows, to read real TTLs back.
type clockedOP struct {
	*testOP
	clock *fakeClock
	st    *badgerstore.Store
	dir   string
}

func newClockedOP(t *testing.T) *clockedOP {
	t.Helper()
	dir := t.TempDir()
	st, err := badgerstore.Open(dir, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	kv, err := st.KV(kv.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now()}
	o := newTestOP(t, "", func(opts *Options) {
		opts.KV = kv
		opts.Now = clock.now
	})
	return &clockedOP{testOP: o, clock: clock, st: st, dir: dir}
}

// badgerExpiresAt closes the store and reads the Badger expiry (Unix
// seconds, 0 = none) of KV key in namespace "t" straight from the files.
func (o *clockedOP) badgerExpiresAt(t *testing.T, key string) uint64 {
	t.Helper()
	if err := o.st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := badger.Open(badger.DefaultOptions(o.dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var exp uint64
	err = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("t/" + key))
		if err != nil {
			return err
		}
		exp = item.ExpiresAt()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func (o *clockedOP) storedClient(t *testing.T, id string) client {
	t.Helper()
	b, err := o.p.kv.Get(context.Background(), kvClient+id)
	if err != nil {
		t.Fatal(err)
	}
	var c client
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// authorizeStatus sends a valid authorization request for clientID and
// returns its status (303 to the login page, or 400 for an unknown
// client).
func (o *clockedOP) authorizeStatus(t *testing.T, clientID string) int {
	t.Helper()
	_, challenge := pkce()
	resp := o.authorize(t, authParamsFor(clientID, challenge, "openid webid"))
	if resp.StatusCode == http.StatusSeeOther && !strings.HasPrefix(resp.Header.Get("Location"), loginPage) {
		t.Fatalf("authorize redirected to %s", resp.Header.Get("Location"))
	}
	return resp.StatusCode
}

// tokenCallAt is tokenCall with a DPoP proof made at the provider's clock.
func (o *clockedOP) tokenCallAt(t *testing.T, form url.Values, key *testissuer.Key) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, o.url(PathToken), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	proof, err := key.Proof(http.MethodPost, o.url(PathToken), "", o.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("DPoP", proof)
	resp, err := o.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("token endpoint: not JSON: %q", body)
	}
	return resp.StatusCode, out
}

func publicClient(t *testing.T, o *clockedOP) string {
	t.Helper()
	reg := o.register(t, map[string]any{
		"redirect_uris":              []string{testRedirect},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_method": "none",
	})
	return reg["client_id"].(string)
}

func TestRegisteredClientExpiresUnused(t *testing.T) {
	o := newClockedOP(t)
	before := time.Now()
	id := publicClient(t, o)
	after := time.Now()
	registered := o.clock.now()

	c := o.storedClient(t, id)
	if c.Used || c.Expires != registered.Add(UnusedClientTTL).Unix() || c.IssuedAt != registered.Unix() {
		t.Fatalf("stored client: used %v, expires %d, issued %d; want unused, expiring %v after %v",
			c.Used, c.Expires, c.IssuedAt, UnusedClientTTL, registered)
	}
	// Authorization requests that never end in a code do not keep it.
	o.clock.add(UnusedClientTTL - time.Second)
	if st := o.authorizeStatus(t, id); st != http.StatusSeeOther {
		t.Fatalf("authorize a second before expiry: %d", st)
	}
	if c2 := o.storedClient(t, id); c2.Expires != c.Expires || c2.Used {
		t.Fatalf("an authorization request renewed an unused client: %+v", c2)
	}
	o.clock.add(time.Second)
	if st := o.authorizeStatus(t, id); st != http.StatusBadRequest {
		t.Fatalf("authorize with an expired client: %d, want 400", st)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {id}}
	if st, body := o.tokenCallAt(t, form, newKey(t)); st != http.StatusUnauthorized || body["error"] != "invalid_client" {
		t.Fatalf("token request of an expired client: %d %v", st, body)
	}

	// The store forgets it on its own: the record's Badger TTL.
	exp := o.badgerExpiresAt(t, kvClient+id)
	lo, hi := uint64(before.Add(UnusedClientTTL).Unix()), uint64(after.Add(UnusedClientTTL).Unix())+1
	if exp < lo || exp > hi {
		t.Fatalf("Badger ExpiresAt = %d, want within [%d, %d] (registration + %v)", exp, lo, hi, UnusedClientTTL)
	}
}

func TestUsedClientKeptWhileInUse(t *testing.T) {
	o := newClockedOP(t)
	id := publicClient(t, o)
	keep := max(DefaultRefreshTTL, UnusedClientTTL) + clientRenewSlack

	// Issuing a code marks it used and keeps it past any grant it gets.
	code, verifier := o.login(t, id, "openid webid offline_access")
	c := o.storedClient(t, id)
	if !c.Used || c.Expires != o.clock.now().Add(keep).Unix() {
		t.Fatalf("after a code: used %v, expires %d; want used, expiring %v from now", c.Used, c.Expires, keep)
	}
	key := newKey(t)
	st, body := o.tokenCallAt(t, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier}, "client_id": {id}}, key)
	if st != http.StatusOK {
		t.Fatalf("code exchange: %d %v", st, body)
	}
	refresh := body["refresh_token"].(string)

	// Each refresh slides the grant, and the client with it.
	var before, after time.Time
	for i := range 2 {
		o.clock.add(13 * 24 * time.Hour)
		before = time.Now()
		st, body := o.tokenCallAt(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {id}}, key)
		after = time.Now()
		if st != http.StatusOK {
			t.Fatalf("refresh %d (day %d): %d %v", i, 13*(i+1), st, body)
		}
		refresh = body["refresh_token"].(string)
		if c := o.storedClient(t, id); c.Expires != o.clock.now().Add(keep).Unix() {
			t.Fatalf("refresh %d did not renew the client: expires %d, want %d", i, c.Expires, o.clock.now().Add(keep).Unix())
		}
	}
	// A use soon after a renewal does not rewrite the record.
	o.clock.add(time.Hour)
	if st := o.authorizeStatus(t, id); st != http.StatusSeeOther {
		t.Fatalf("authorize: %d", st)
	}
	if c := o.storedClient(t, id); c.Expires != o.clock.now().Add(keep-time.Hour).Unix() {
		t.Fatalf("renewed again within the slack: expires %d", c.Expires)
	}
	exp := o.badgerExpiresAt(t, kvClient+id)
	lo, hi := uint64(before.Add(keep).Unix()), uint64(after.Add(keep).Unix())+1
	if exp < lo || exp > hi {
		t.Fatalf("Badger ExpiresAt = %d, want within [%d, %d] (last use + %v)", exp, lo, hi, keep)
	}
}

func TestUsedClientExpiresAfterLastUse(t *testing.T) {
	o := newClockedOP(t)
	id := publicClient(t, o)
	o.login(t, id, "openid webid")
	keep := max(DefaultRefreshTTL, UnusedClientTTL) + clientRenewSlack
	o.clock.add(keep - time.Second)
	c := o.storedClient(t, id)
	// A lookup this late renews it; check the boundary without one.
	if now := o.clock.now().Unix(); now >= c.Expires {
		t.Fatalf("expired early: now %d, expires %d", now, c.Expires)
	}
	o.clock.add(time.Second)
	if st := o.authorizeStatus(t, id); st != http.StatusBadRequest {
		t.Fatalf("authorize %v after the last use: %d, want 400", keep, st)
	}
}

// A client registered before expiry existed gets one at its next use.
func TestLegacyClientGetsExpiry(t *testing.T) {
	o := newClockedOP(t)
	ctx := context.Background()
	legacy := `{"client_id":"old-client","redirect_uris":["` + testRedirect + `"],"grant_types":["authorization_code"],"token_endpoint_auth_method":"none"}`
	if err := o.p.kv.Put(ctx, kvClient+"old-client", []byte(legacy), 0); err != nil {
		t.Fatal(err)
	}
	if st := o.authorizeStatus(t, "old-client"); st != http.StatusSeeOther {
		t.Fatalf("authorize: %d", st)
	}
	keep := max(DefaultRefreshTTL, UnusedClientTTL) + clientRenewSlack
	if c := o.storedClient(t, "old-client"); !c.Used || c.Expires != o.clock.now().Add(keep).Unix() {
		t.Fatalf("legacy client after use: %+v", c)
	}
	if exp := o.badgerExpiresAt(t, kvClient+"old-client"); exp == 0 {
		t.Fatal("legacy client still has no TTL")
	}
}

// A registered client removed while its request was pending: no code,
// and the request stays pending.
func TestCompleteUnknownClient(t *testing.T) {
	o := newClockedOP(t)
	ctx := context.Background()
	id := publicClient(t, o)
	_, challenge := pkce()
	resp := o.authorize(t, authParamsFor(id, challenge, "openid webid"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	iid := loc.Query().Get("id")
	if err := o.p.kv.Delete(ctx, kvClient+id); err != nil {
		t.Fatal(err)
	}
	if _, err := o.p.CompleteAt(ctx, iid, testWebID, "acct-1", o.clock.now()); !errors.Is(err, ErrUnknownClient) {
		t.Fatalf("CompleteAt = %v, want ErrUnknownClient", err)
	}
	if _, err := o.p.Pending(ctx, iid); err != nil {
		t.Fatalf("the request is no longer pending: %v", err)
	}
}
