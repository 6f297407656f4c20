package op

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

func TestNeedsLogin(t *testing.T) {
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	now := created.Add(30 * time.Second) // the user is on the consent page
	tests := []struct {
		name     string
		prompt   string
		maxAge   int64
		authTime time.Time
		want     bool
	}{
		{"no session", "", -1, time.Time{}, true},
		{"plain request, old session", "", -1, created.Add(-13 * 24 * time.Hour), false},
		{"prompt=consent, old session", "consent", -1, created.Add(-time.Hour), false},
		{"prompt=login, session from before", "login", -1, created.Add(-time.Second), true},
		{"prompt=login, logged in during the request", "login consent", -1, created.Add(time.Second), false},
		{"prompt=login at the request's instant", "login", -1, created, false},
		{"max_age, young enough", "", 300, now.Add(-300 * time.Second), false},
		{"max_age, too old", "", 300, now.Add(-301 * time.Second), true},
		{"max_age=0, session from before", "", 0, created.Add(-time.Second), true},
		{"max_age=0, logged in during the request", "", 0, created.Add(10 * time.Second), false},
		{"max_age and prompt=none, too old", "none", 60, now.Add(-time.Hour), true},
		{"prompt=none, no session", "none", -1, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pd := &Pending{Prompt: tt.prompt, MaxAge: tt.maxAge, Created: created}
			if got := needsLogin(pd, tt.authTime, now); got != tt.want {
				t.Fatalf("needsLogin = %v, want %v", got, tt.want)
			}
		})
	}
}

// beginAuth sends an authorization request with extra parameters and
// returns the pending request the interaction was given.
func (o *clockedOP) beginAuth(t *testing.T, clientID string, extra url.Values) (*Pending, string) {
	t.Helper()
	verifier, challenge := pkce()
	q := authParamsFor(clientID, challenge, "openid webid offline_access")
	for k, v := range extra {
		q[k] = v
	}
	resp := o.authorize(t, q)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	pd, err := o.p.Pending(context.Background(), loc.Query().Get("id"))
	if err != nil {
		t.Fatal(err)
	}
	return pd, verifier
}

// idTokenAuthTime exchanges the code and returns the ID token's auth_time
// and the refresh token.
func (o *clockedOP) idTokenAuthTime(t *testing.T, clientID, back, verifier string, key *testissuer.Key) (int64, string) {
	t.Helper()
	u, _ := url.Parse(back)
	st, body := o.tokenCallAt(t, url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier}, "client_id": {clientID}}, key)
	if st != http.StatusOK {
		t.Fatalf("code exchange: %d %v", st, body)
	}
	at, ok := claims(t, body["id_token"].(string))["auth_time"].(float64)
	if !ok {
		t.Fatal("ID token without auth_time")
	}
	return int64(at), body["refresh_token"].(string)
}

func TestCompleteAtMaxAge(t *testing.T) {
	o := newClockedOP(t)
	ctx := context.Background()
	id := publicClient(t, o)
	pd, verifier := o.beginAuth(t, id, url.Values{"max_age": {"300"}})
	if pd.MaxAge != 300 {
		t.Fatalf("pending max_age = %d", pd.MaxAge)
	}
	now := o.clock.now()
	stale := now.Add(-301 * time.Second)
	if !o.p.NeedsLogin(pd, stale) {
		t.Fatal("NeedsLogin: a session older than max_age will do")
	}
	if _, err := o.p.CompleteAt(ctx, pd.ID, testWebID, "acct-1", stale); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("CompleteAt with a stale log-in = %v, want ErrLoginRequired", err)
	}
	if _, err := o.p.Pending(ctx, pd.ID); err != nil {
		t.Fatalf("refused request no longer pending: %v", err)
	}
	if c := o.storedClient(t, id); c.Used {
		t.Fatal("a refused completion marked the client used")
	}
	recent := now.Add(-200 * time.Second)
	if o.p.NeedsLogin(pd, recent) {
		t.Fatal("NeedsLogin: a session younger than max_age will not do")
	}
	back, err := o.p.CompleteAt(ctx, pd.ID, testWebID, "acct-1", recent)
	if err != nil {
		t.Fatal(err)
	}
	// OpenID Connect Core §2: auth_time is REQUIRED when max_age was asked.
	key := newKey(t)
	authTime, refresh := o.idTokenAuthTime(t, id, back, verifier, key)
	if authTime != recent.Unix() {
		t.Fatalf("auth_time = %d, want the log-in time %d", authTime, recent.Unix())
	}
	// Refreshed ID tokens keep the original auth_time.
	o.clock.add(time.Hour)
	st, body := o.tokenCallAt(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {id}}, key)
	if st != http.StatusOK {
		t.Fatalf("refresh: %d %v", st, body)
	}
	if at := claims(t, body["id_token"].(string))["auth_time"]; at != float64(recent.Unix()) {
		t.Fatalf("refreshed auth_time = %v, want %d", at, recent.Unix())
	}
}

func TestCompleteAtPromptLogin(t *testing.T) {
	o := newClockedOP(t)
	ctx := context.Background()
	id := publicClient(t, o)
	pd, verifier := o.beginAuth(t, id, url.Values{"prompt": {"login"}})
	session := pd.Created.Add(-time.Second) // the browser's existing session
	if !o.p.NeedsLogin(pd, session) {
		t.Fatal("NeedsLogin: prompt=login accepted an existing session")
	}
	if _, err := o.p.CompleteAt(ctx, pd.ID, testWebID, "acct-1", session); !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("CompleteAt with the old session = %v, want ErrLoginRequired", err)
	}
	o.clock.add(20 * time.Second)
	loggedIn := o.clock.now() // the user logs in again
	if o.p.NeedsLogin(pd, loggedIn) {
		t.Fatal("NeedsLogin: a fresh log-in will not do")
	}
	o.clock.add(10 * time.Second) // consent
	back, err := o.p.CompleteAt(ctx, pd.ID, testWebID, "acct-1", loggedIn)
	if err != nil {
		t.Fatal(err)
	}
	if authTime, _ := o.idTokenAuthTime(t, id, back, verifier, newKey(t)); authTime != loggedIn.Unix() {
		t.Fatalf("auth_time = %d, want %d", authTime, loggedIn.Unix())
	}
}

// A log-in time from the future (clock skew) is taken as now; Complete
// uses the time of the call.
func TestCompleteAuthTimeNotInFuture(t *testing.T) {
	o := newClockedOP(t)
	ctx := context.Background()
	id := publicClient(t, o)
	for _, useAt := range []bool{true, false} {
		pd, verifier := o.beginAuth(t, id, url.Values{"max_age": {"0"}})
		var back string
		var err error
		if useAt {
			back, err = o.p.CompleteAt(ctx, pd.ID, testWebID, "acct-1", o.clock.now().Add(time.Hour))
		} else {
			back, err = o.p.Complete(ctx, pd.ID, testWebID, "acct-1")
		}
		if err != nil {
			t.Fatal(err)
		}
		if authTime, _ := o.idTokenAuthTime(t, id, back, verifier, newKey(t)); authTime != o.clock.now().Unix() {
			t.Fatalf("CompleteAt=%v: auth_time = %d, want now %d", useAt, authTime, o.clock.now().Unix())
		}
	}
}

// prompt=none without a session: the interaction denies with
// login_required, which goes back to the client's redirect URI.
func TestPromptNoneLoginRequired(t *testing.T) {
	o := newClockedOP(t)
	ctx := context.Background()
	id := publicClient(t, o)
	pd, _ := o.beginAuth(t, id, url.Values{"prompt": {"none"}})
	if pd.Prompt != "none" || !o.p.NeedsLogin(pd, time.Time{}) {
		t.Fatalf("pending prompt %q; NeedsLogin without a session must be true", pd.Prompt)
	}
	back, err := o.p.DenyWith(ctx, pd.ID, "login_required")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != testRedirect || q.Get("error") != "login_required" ||
		q.Get("state") != "st-123" || q.Get("iss") != o.p.Issuer() || q.Has("code") {
		t.Fatalf("DenyWith redirect = %s", back)
	}
	if _, err := o.p.Pending(ctx, pd.ID); !errors.Is(err, ErrUnknownInteraction) {
		t.Fatalf("denied request still pending: %v", err)
	}
}
