package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/internal/testissuer"
)

// apiGet GETs u with a DPoP-bound token (none when tok is "").
func apiGet(t *testing.T, u, tok string, key *testissuer.Key) (int, http.Header, map[string]any) {
	t.Helper()
	return apiDo(t, http.MethodGet, u, "", "", tok, key)
}

// apiDo sends method to u (with body of type ctype when ctype is not "")
// with a DPoP-bound token (none when tok is "") and decodes a JSON answer.
func apiDo(t *testing.T, method, u, ctype, body, tok string, key *testissuer.Key) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		proof, err := key.Proof(method, strings.SplitN(u, "?", 2)[0], tok, time.Now())
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
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, resp.Header, m
}

// webfingerTo makes the peer answer every WebFinger query with a link to
// actor.
func (p *testPeer) webfingerTo(actor string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs["/.well-known/webfinger"] = map[string]any{"subject": "acct:x@" + strings.TrimPrefix(p.srv.URL, "http://"),
		"links": []any{map[string]any{"rel": "self", "type": "application/activity+json", "href": actor}}}
}

// Issue 15 item 3: the Fediverse page, rendered for the session. The
// owner sees the handle, followers, the waiting request, the timeline
// (post, reply, like, boost) and her posts with the forms' script; remote
// markup is text (SECURITY: no stored XSS from federated content), never
// markup; anyone else is refused; hostile parameters get a page, never an
// echo.
func TestFediversePage(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	ctx := context.Background()
	carl, erin := p.actor("carl"), p.actor("erin")
	if st, body := p.post(t, e.inbox("alice"), activity("Follow", carl, e.actor("alice"))); st != 202 {
		t.Fatalf("Follow: %d %s", st, body)
	}
	recs, _ := e.s.store.KV("s")
	if err := federation.SaveSettings(ctx, recs, "alice", federation.Settings{Locked: true}); err != nil {
		t.Fatal(err)
	}
	if st, body := p.post(t, e.inbox("alice"), activity("Follow", erin, e.actor("alice"))); st != 202 {
		t.Fatalf("Follow: %d %s", st, body)
	}
	tok, key := ownerToken(t, e.s, e.base, "alice")
	resp, b := ownerPost(t, e.actor("alice")+"/outbox", tok, key, `{"type":"Note","content":"<p>my own &lt;post&gt;</p>","to":["followers"]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("C2S: %d %s", resp.StatusCode, b)
	}
	var mine map[string]any
	_ = json.Unmarshal(b, &mine)
	myNote := mine["object"].(map[string]any)["id"].(string)
	n := note(carl, `<p>Hello <b>world</b></p><script>alert("pwned")</script><img src=x onerror=alert(2)><p><a href="javascript:alert(3)">click me</a></p>`)
	n["summary"] = `<b>CW</b> spoilers`
	if st, body := p.post(t, e.inbox("alice"), activity("Create", carl, n)); st != 202 {
		t.Fatalf("Create: %d %s", st, body)
	}
	reply := note(carl, "<p>a reply</p>")
	reply["inReplyTo"] = myNote
	for _, a := range []map[string]any{activity("Create", carl, reply), activity("Like", carl, myNote), activity("Announce", carl, myNote)} {
		if st, body := p.post(t, e.inbox("alice"), a); st != 202 {
			t.Fatalf("%s: %d %s", a["type"], st, body)
		}
	}
	alice := sessionCookie(t, e.s, "alice@example.org")
	bob := sessionCookie(t, e.s, "bob@example.org")
	host := strings.TrimSuffix(strings.TrimPrefix(e.base, "http://"), "/")
	peerHost := strings.TrimPrefix(p.srv.URL, "http://")
	page := getPage(t, e.base, ".web/fediverse?pod=alice", nil, alice)
	if page.status != 200 || !strings.HasPrefix(page.ctype, "text/html") {
		t.Fatalf("owner: %d %s %s", page.status, page.ctype, page.body)
	}
	for _, want := range []string{
		"@alice@" + host, "carl@" + peerHost, // a follower
		`data-follow="` + p.srv.URL + "/users/erin/activities/", "erin@" + peerHost, // the waiting request (its Follow id)
		"asks to follow you", "followed you", // erin waits, carl follows
		"Hello world", "click me", "&lt;b&gt;CW&lt;/b&gt; spoilers", // remote text, escaped
		"replied", "liked <a href=\"" + myNote + "\">your post</a>", "boosted <a href=\"" + myNote + "\">your post</a>", "a reply",
		"my own &lt;post&gt;", "Followers", // her post, its audience
		`/.web/static/fediverse.js`, `id="locked" name="locked" checked`, // the lock, as set
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{`<script>alert`, `alert(&#34;pwned`, "pwned", `onerror`, `javascript:`, `<b>CW`, `<img`} {
		if strings.Contains(page.body, bad) {
			t.Errorf("the page carries %q", bad)
		}
	}
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	cases := []struct {
		name, q string
		cookie  *http.Cookie
		want    int
	}{
		{"anonymous", "pod=alice", nil, 401},
		{"another pod's owner", "pod=alice", bob, 403},
		{"own pod by default", "", alice, 200},
		{"bob's own page", "pod=bob", bob, 200},
		{"unknown pod", "pod=nobody", alice, 404},
		{"markup as pod", "pod=" + url.QueryEscape(`<script>alert(1)</script>`), alice, 404},
		{"upper case", "pod=ALICE", alice, 404},
		{"path in pod", "pod=" + url.QueryEscape("../alice"), alice, 404},
		{"long pod", "pod=" + strings.Repeat("a", 5000), alice, 404},
		{"bad page", "pod=alice&page=-3", alice, 200},
		{"huge page", "pod=alice&page=99999999999999999999", alice, 200},
		{"unknown notice", "pod=alice&done=" + url.QueryEscape("<b>x</b>"), alice, 200},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			a := getPage(t, e.base, ".web/fediverse?"+c.q, nil, c.cookie)
			if a.status != c.want || !strings.HasPrefix(a.ctype, "text/html") {
				t.Fatalf("%d %s, want %d", a.status, a.ctype, c.want)
			}
			if strings.Contains(a.body, "<script>alert") || strings.Contains(a.body, "<b>x</b>") {
				t.Fatal("a parameter is echoed as markup")
			}
			if c.want != 200 && strings.Contains(a.body, "Hello world") {
				t.Fatal("a refused page shows the inbox")
			}
			if c.want == 401 && !strings.Contains(a.body, "/.idp/login?next=") {
				t.Fatal("no log-in link")
			}
		})
	}
	// Past 50 followers the page says how many it leaves out and links
	// the collection.
	for i := range 50 {
		f := federation.Follower{Actor: fmt.Sprintf("https://many.example/users/u%02d", i), Inbox: "https://many.example/inbox"}
		if err := e.s.fed.Relations().AddFollower(ctx, "alice", f); err != nil {
			t.Fatal(err)
		}
	}
	if a := getPage(t, e.base, ".web/fediverse?pod=alice", nil, alice); !strings.Contains(a.body, "The first 50 of 51 are shown") {
		t.Fatal("no note of the followers left out")
	}
	bobPage := getPage(t, e.base, ".web/fediverse?pod=bob", nil, bob)
	if strings.Contains(bobPage.body, "Hello world") || strings.Contains(bobPage.body, "erin@") {
		t.Fatal("bob's page shows alice's data")
	}
}

// Issue 15 item 3: the page's JSON API is for the pod's owner with DPoP
// credentials (never the cookie). resolve finds an actor by handle through
// WebFinger (http only to the allowed loopback peer), by IRI, and a local
// handle from the pods; hostile handles are refused before any fetch
// (SECURITY row 41); a WebFinger server cannot pass off another host's
// actor (delegation must be confirmed by the actor's host, and the handle
// shown is the confirmed one). pending lists the waiting requests.
func TestFediverseAPI(t *testing.T) {
	e := newFedEnv(t, 2)
	p, q := e.peers[0], e.peers[1]
	carl, dave, erin := p.actor("carl"), p.actor("dave"), p.actor("erin")
	p.webfingerTo(carl)
	peerHost := strings.TrimPrefix(p.srv.URL, "http://")
	qHost := strings.TrimPrefix(q.srv.URL, "http://")
	host := strings.TrimSuffix(strings.TrimPrefix(e.base, "http://"), "/")
	recs, _ := e.s.store.KV("s")
	if err := federation.SaveSettings(context.Background(), recs, "alice", federation.Settings{Locked: true}); err != nil {
		t.Fatal(err)
	}
	follow := activity("Follow", erin, e.actor("alice"))
	if st, body := p.post(t, e.inbox("alice"), follow); st != 202 {
		t.Fatalf("Follow: %d %s", st, body)
	}
	aliceTok, aliceKey := ownerToken(t, e.s, e.base, "alice")
	bobTok, bobKey := ownerToken(t, e.s, e.base, "bob")
	api := e.base + ".web/api/fediverse/"
	resolve := func(pod, handle string) string {
		return api + "resolve?pod=" + url.QueryEscape(pod) + "&handle=" + url.QueryEscape(handle)
	}

	st, hd, _ := apiGet(t, resolve("alice", "@carl@"+peerHost), "", nil)
	if st != 401 || !strings.Contains(hd.Get("WWW-Authenticate"), "DPoP") {
		t.Fatalf("no credentials: %d %v", st, hd)
	}
	// The session cookie authenticates nothing here.
	req, _ := http.NewRequest(http.MethodGet, resolve("alice", "@carl@"+peerHost), nil)
	req.AddCookie(sessionCookie(t, e.s, "alice@example.org"))
	if st, _ := do(t, req); st != 401 {
		t.Fatalf("cookie only: %d", st)
	}
	if st, _, _ := apiGet(t, resolve("alice", "@carl@"+peerHost), bobTok, bobKey); st != 403 {
		t.Fatalf("bob for alice: %d", st)
	}
	if st, _, _ := apiGet(t, resolve("nobody", "@carl@"+peerHost), aliceTok, aliceKey); st != 404 {
		t.Fatalf("unknown pod: %d", st)
	}
	st, _, got := apiGet(t, resolve("alice", "@carl@"+peerHost), aliceTok, aliceKey)
	if st != 200 || got["id"] != carl || got["handle"] != "@carl@"+peerHost || got["inbox"] != carl+"/inbox" {
		t.Fatalf("by handle: %d %v", st, got)
	}
	if st, _, got := apiGet(t, resolve("alice", carl), aliceTok, aliceKey); st != 200 || got["id"] != carl {
		t.Fatalf("by IRI: %d %v", st, got)
	}
	if st, _, got := apiGet(t, resolve("alice", "@bob@"+host), aliceTok, aliceKey); st != 200 || got["id"] != e.actor("bob") {
		t.Fatalf("local handle: %d %v", st, got)
	}
	// Delegation: q's WebFinger names p's carl; p confirms carl as @carl@p:
	// the handle shown is p's. Then p's WebFinger names dave instead: not
	// confirmed, refused.
	q.webfingerTo(carl)
	if st, _, got := apiGet(t, resolve("alice", "@mallory@"+qHost), aliceTok, aliceKey); st != 200 || got["handle"] != "@carl@"+peerHost {
		t.Fatalf("confirmed delegation: %d %v", st, got)
	}
	p.webfingerTo(dave)
	if st, _, got := apiGet(t, resolve("alice", "@mallory@"+qHost), aliceTok, aliceKey); st != 400 {
		t.Fatalf("unconfirmed delegation: %d %v", st, got)
	}
	q.mu.Lock()
	delete(q.docs, "/.well-known/webfinger")
	q.mu.Unlock()
	if st, _, got := apiGet(t, resolve("alice", "@nobody@"+qHost), aliceTok, aliceKey); st != 404 {
		t.Fatalf("unknown account: %d %v", st, got)
	}
	for _, h := range []string{"", "carl", "@carl", "@carl@", "@a@b@" + peerHost, "@carl@" + peerHost + "/x",
		"@<script>@" + peerHost, "@carl@169.254.169.254", "@carl@[::1]:80", "@carl@10.0.0.1", "@carl@127.0.0.1:1",
		"javascript:alert(1)", "ftp://" + peerHost + "/users/carl", "http://user:pw@" + peerHost + "/users/carl",
		"@carl@" + peerHost + "\r\nX: y", strings.Repeat("a", 600) + "@" + peerHost} {
		if st, _, got := apiGet(t, resolve("alice", h), aliceTok, aliceKey); st != 400 {
			t.Errorf("handle %q: %d %v", h, st, got)
		}
	}
	if st, _, got := apiGet(t, resolve("alice", e.base+"alice/profile/card"), aliceTok, aliceKey); st != 400 {
		t.Errorf("a WebID profile (not AS2): %d %v", st, got)
	}
	st, _, got = apiGet(t, api+"pending?pod=alice", aliceTok, aliceKey)
	pend, _ := got["pending"].([]any)
	if st != 200 || len(pend) != 1 || pend[0].(map[string]any)["actor"] != erin || pend[0].(map[string]any)["followId"] != follow["id"] {
		t.Fatalf("pending: %d %v", st, got)
	}
	if st, _, _ := apiGet(t, api+"pending?pod=alice", bobTok, bobKey); st != 403 {
		t.Fatalf("bob's pending of alice: %d", st)
	}
	if st, _, _ := apiGet(t, api+"nothing?pod=alice", aliceTok, aliceKey); st != 404 {
		t.Fatalf("unknown endpoint: %d", st)
	}

	// settings: the lock (manuallyApprovesFollowers), owner only.
	settings := api + "settings?pod=alice"
	if st, _, got := apiGet(t, settings, aliceTok, aliceKey); st != 200 || got["locked"] != true {
		t.Fatalf("settings: %d %v", st, got)
	}
	for _, c := range []struct {
		name, ctype, body string
		tok               string
		key               *testissuer.Key
		want              int
	}{
		{"no credentials", "application/json", `{"locked":false}`, "", nil, 401},
		{"another owner", "application/json", `{"locked":false}`, bobTok, bobKey, 403},
		{"text/plain", "text/plain", `{"locked":false}`, aliceTok, aliceKey, 415},
		{"form", "application/x-www-form-urlencoded", `locked=false`, aliceTok, aliceKey, 415},
		{"string", "application/json", `{"locked":"no"}`, aliceTok, aliceKey, 400},
		{"empty object", "application/json", `{}`, aliceTok, aliceKey, 400},
		{"unknown member", "application/json", `{"locked":false,"hidden":true}`, aliceTok, aliceKey, 400},
		{"two objects", "application/json", `{"locked":false}{"locked":true}`, aliceTok, aliceKey, 400},
		{"over 1 KiB", "application/json", `{"locked":false` + strings.Repeat(" ", 2000) + `}`, aliceTok, aliceKey, 400},
		{"not JSON", "application/json", `<script>`, aliceTok, aliceKey, 400},
	} {
		if st, _ := apiPost(t, settings, c.ctype, c.body, c.tok, c.key); st != c.want {
			t.Errorf("settings POST, %s: %d, want %d", c.name, st, c.want)
		}
	}
	if _, body := fedGet(t, e.actor("alice"), "application/activity+json"); !strings.Contains(string(body), `"manuallyApprovesFollowers":true`) {
		t.Fatalf("a refused POST changed the lock: %s", body)
	}
	if st, got := apiPost(t, settings, "application/json; charset=utf-8", `{"locked":false}`, aliceTok, aliceKey); st != 200 || got["locked"] != false {
		t.Fatalf("unlock: %d %v", st, got)
	}
	if _, body := fedGet(t, e.actor("alice"), "application/activity+json"); !strings.Contains(string(body), `"manuallyApprovesFollowers":false`) {
		t.Fatalf("the actor still locked: %s", body)
	}
	if st, body := p.post(t, e.inbox("alice"), activity("Follow", dave, e.actor("alice"))); st != 202 {
		t.Fatalf("Follow: %d %s", st, body)
	}
	if _, ok, _ := e.s.fed.Relations().Follower(context.Background(), "alice", dave); !ok {
		t.Fatal("after unlocking, a Follow still waits")
	}
	// dave follows now: locking again sends his server an Update of the
	// actor showing the lock (as Mastodon refreshes its copy).
	if st, _ := apiPost(t, settings, "application/json", `{"locked":true}`, aliceTok, aliceKey); st != 200 {
		t.Fatalf("lock: %d", st)
	}
	waitFor(t, "the Update of the actor", func() bool {
		for _, u := range p.received("Update") {
			o, _ := u["object"].(map[string]any)
			if u["actor"] == e.actor("alice") && o != nil && o["id"] == e.actor("alice") && o["manuallyApprovesFollowers"] == true &&
				strings.HasPrefix(u["id"].(string), e.actor("alice")+"#updates/") {
				return true
			}
		}
		return false
	})
}

// apiPost POSTs body as ctype to u with a DPoP-bound token (none when tok
// is "").
func apiPost(t *testing.T, u, ctype, body, tok string, key *testissuer.Key) (int, map[string]any) {
	t.Helper()
	code, _, m := apiDo(t, http.MethodPost, u, ctype, body, tok, key)
	return code, m
}

// The pages' own client (built in, http on an http base URL such as the
// tests' 127.0.0.1) completes the silent sign-in a page's script makes
// through the session: /.oidc/auth → /.idp/login?interaction → the
// callback with a code. It failed with "Sign-in request expired" (400):
// issuing the code looked the built-in client up as a registered one.
func TestFirstPartyClientSignInOnHTTPBase(t *testing.T) {
	e := newFedEnv(t, 0)
	c := sessionCookie(t, e.s, "alice@example.org")
	q := url.Values{"response_type": {"code"}, "client_id": {e.base + ".web/client.jsonld"}, "redirect_uri": {e.base + ".web/callback"},
		"scope": {"openid webid offline_access"}, "state": {"abc"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	u := e.base + ".oidc/auth?" + q.Encode()
	for range 4 {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.AddCookie(c)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || loc == "" {
			t.Fatalf("GET %s: %d", u, resp.StatusCode)
		}
		next, _ := url.Parse(u)
		next, _ = next.Parse(loc)
		if strings.HasPrefix(next.String(), e.base+".web/callback?") {
			if next.Query().Get("code") == "" || next.Query().Get("state") != "abc" {
				t.Fatalf("callback without code or state: %s", next)
			}
			return
		}
		u = next.String()
	}
	t.Fatalf("never reached the callback (last %s)", u)
}
