package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// ownerPost POSTs body to u with a DPoP-bound token (tok, key), or with no
// credentials when tok is "".
func ownerPost(t *testing.T, u, tok string, key *testissuer.Key, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/activity+json")
	if tok != "" {
		proof, err := key.Proof(http.MethodPost, u, tok, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "DPoP "+tok)
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// ownerToken is a Solid-OIDC access token of pod's owner (client
// credentials of <pod>@example.org) and its DPoP key.
func ownerToken(t *testing.T, s *Server, base, pod string) (string, *testissuer.Key) {
	t.Helper()
	id, secret, key := scriptCredentials(t, s, pod+"@example.org")
	st, tok := tokenRequest(t, base, id, secret, key)
	if st != 200 {
		t.Fatalf("token: %d", st)
	}
	return tok, key
}

// Issue 14 C2S through the whole server: only the pod's owner, with
// Solid-OIDC DPoP credentials, posts to the outbox (401 without, 403 for
// another owner); the Note is wrapped in a Create and served publicly
// from the activity and object IRIs, while the stored activity in
// <pod>/outbox/ stays owner-only.
func TestFederationOutboxC2S(t *testing.T) {
	s, base := serveAccounts(t, "alice", "bob")
	outbox := strings.TrimSuffix(base, "/") + "/.ap/actors/alice/outbox"
	aliceTok, aliceKey := ownerToken(t, s, base, "alice")
	bobTok, bobKey := ownerToken(t, s, base, "bob")

	note := `{"type":"Note","content":"hello fediverse","to":["https://www.w3.org/ns/activitystreams#Public"]}`
	if resp, _ := ownerPost(t, outbox, "", nil, note); resp.StatusCode != 401 {
		t.Fatalf("anonymous: %d", resp.StatusCode)
	}
	if resp, _ := ownerPost(t, outbox, bobTok, bobKey, note); resp.StatusCode != 403 {
		t.Fatalf("another pod's owner: %d", resp.StatusCode)
	}
	resp, body := ownerPost(t, outbox, aliceTok, aliceKey, note)
	if resp.StatusCode != 201 {
		t.Fatalf("owner: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, strings.TrimSuffix(base, "/")+"/.ap/actors/alice/activities/") {
		t.Fatalf("Location %q", loc)
	}
	r, b := fedGet(t, loc, "application/activity+json")
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/activity+json" ||
		!strings.Contains(string(b), `"hello fediverse"`) || !strings.Contains(string(b), `"id":"`+loc+`"`) {
		t.Fatalf("activity view: %d %s", r.StatusCode, b)
	}
	id := loc[strings.LastIndex(loc, "/")+1:]
	if r, _ := fedGet(t, base+"alice/outbox/"+id, ""); r.StatusCode != 401 {
		t.Fatalf("stored activity readable by the public: %d", r.StatusCode)
	}
	if r, b := fedGet(t, outbox, ""); r.StatusCode != 200 || !strings.Contains(string(b), `"totalItems":1`) {
		t.Fatalf("outbox: %d %s", r.StatusCode, b)
	}
}
