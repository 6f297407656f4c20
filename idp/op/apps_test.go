package op

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Connected apps (issue 15 item 0): a code exchange records the app with
// its metadata and when it was connected; refreshes move "last used" on at
// most once per appUseSlack; disconnecting forgets it.
func TestAppsRecordConnectionAndLastUse(t *testing.T) {
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	o := newTestOP(t, "", func(opts *Options) { opts.Now, opts.ProofWindow = clock.now, 10*time.Minute })
	ctx := context.Background()
	reg := o.register(t, map[string]any{
		"redirect_uris": []string{testRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
		"token_endpoint_auth_method": "none", "client_name": "Notes", "logo_uri": "https://logo.example/notes.png",
	})
	clientID := reg["client_id"].(string)
	if apps, _ := o.p.Apps(ctx, "acct-1"); len(apps) != 0 {
		t.Fatalf("apps before any token: %v", apps)
	}
	code, verifier := o.login(t, clientID, "openid webid offline_access")
	key := newKey(t)
	connected := clock.now()
	st, tok := o.tokenCall(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}, "client_id": {clientID}}, key)
	if st != 200 {
		t.Fatalf("token: %d %v", st, tok)
	}
	apps, err := o.p.Apps(ctx, "acct-1")
	if err != nil || len(apps) != 1 {
		t.Fatalf("apps %v %v", apps, err)
	}
	a := apps[0]
	if a.ClientID != clientID || a.Name != "Notes" || a.LogoURI != "https://logo.example/notes.png" || a.Origin != "https://app.example" ||
		!a.Dynamic || !a.Connected.Equal(connected) || !a.LastUsed.Equal(connected) {
		t.Fatalf("app %+v", a)
	}

	rt := tok["refresh_token"].(string)
	refresh := func() {
		t.Helper()
		st, body := o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}, key)
		if st != 200 {
			t.Fatalf("refresh: %d %v", st, body)
		}
		rt = body["refresh_token"].(string)
	}
	lastUsed := func() time.Time {
		apps, _ := o.p.Apps(ctx, "acct-1")
		return apps[0].LastUsed
	}
	clock.add(30 * time.Second)
	refresh()
	if !lastUsed().Equal(connected) {
		t.Fatalf("last use rewritten within %v: %v", appUseSlack, lastUsed())
	}
	clock.add(31 * time.Second)
	refresh()
	if want := connected.Add(61 * time.Second); !lastUsed().Equal(want) {
		t.Fatalf("last used %v, want %v", lastUsed(), want)
	}

	if err := o.p.RevokeClient(ctx, "acct-1", clientID); err != nil {
		t.Fatal(err)
	}
	if apps, _ := o.p.Apps(ctx, "acct-1"); len(apps) != 0 {
		t.Fatalf("apps after disconnect: %v", apps)
	}
}

// A refresh within appUseSlack of the last recorded use writes no app
// record at all (one write per app per minute, whatever the traffic).
func TestAppUseWritesAtMostOncePerSlack(t *testing.T) {
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	o := newTestOP(t, "", func(opts *Options) { opts.Now, opts.ProofWindow = clock.now, 10*time.Minute })
	clientID, key, tok := o.refreshingClient(t)
	ctx := context.Background()
	before, err := o.p.kv.Get(ctx, appKey("acct-1", clientID))
	if err != nil {
		t.Fatal(err)
	}
	rt := tok["refresh_token"].(string)
	for range 5 {
		clock.add(10 * time.Second)
		st, body := o.tokenCall(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}, key)
		if st != 200 {
			t.Fatalf("refresh: %d %v", st, body)
		}
		rt = body["refresh_token"].(string)
	}
	after, _ := o.p.kv.Get(ctx, appKey("acct-1", clientID))
	if string(before) != string(after) {
		t.Fatalf("app record rewritten within a minute:\n%s\n%s", before, after)
	}
}
