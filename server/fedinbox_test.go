package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/federation"
	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/internal/testissuer"
)

// testPeer is a small ActivityPub server on 127.0.0.1: its actors
// (/users/<name>, served as AS2 with one RSA key each) sign what they
// POST with httpsig.Sign, and their inboxes record what they receive.
type testPeer struct {
	t    testing.TB
	srv  *httptest.Server
	key  *rsa.PrivateKey
	pem  string
	mu   sync.Mutex
	docs map[string]any   // path → document served as AS2
	got  []map[string]any // activities POSTed to any inbox here
	fail atomic.Int32     // answer 503 to the next fail GETs
	// authorized, when set, makes the peer answer only signed GETs that it
	// verifies ("authorized fetch"); signers records their key ids.
	authorized *httpsig.Verifier
	signers    []string
	gets       map[string]int // GETs answered, by path
}

func newPeer(t testing.TB) *testPeer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	p := &testPeer{t: t, key: key, docs: map[string]any{},
		pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testPeer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		p.mu.Lock()
		p.got = append(p.got, m)
		p.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if p.fail.Load() > 0 {
		p.fail.Add(-1)
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	p.mu.Lock()
	authorized := p.authorized
	p.mu.Unlock()
	if authorized != nil {
		v, err := authorized.Verify(r, nil)
		if err != nil {
			http.Error(w, "sign your GET: "+err.Error(), http.StatusUnauthorized)
			return
		}
		p.mu.Lock()
		p.signers = append(p.signers, v.KeyID)
		p.mu.Unlock()
	}
	p.mu.Lock()
	doc, ok := p.docs[r.URL.Path]
	if p.gets == nil {
		p.gets = map[string]int{}
	}
	p.gets[r.URL.Path]++
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/activity+json")
	_ = json.NewEncoder(w).Encode(doc)
}

// actor makes (once) and returns the IRI of the peer's actor name.
func (p *testPeer) actor(name string) string {
	id := p.srv.URL + "/users/" + name
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.docs["/users/"+name]; !ok {
		p.docs["/users/"+name] = map[string]any{
			"@context": []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": name,
			"inbox": id + "/inbox", "endpoints": map[string]any{"sharedInbox": p.srv.URL + "/inbox"},
			"publicKey": map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": p.pem},
		}
	}
	return id
}

// serveDoc serves doc (an object) as AS2 at its id, a URL of the peer.
func (p *testPeer) serveDoc(doc map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs[strings.TrimPrefix(doc["id"].(string), p.srv.URL)] = doc
}

// received returns the activities of type typ the peer received.
func (p *testPeer) received(typ string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, m := range p.got {
		if m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// signed builds a POST of body to u signed as signer (an actor of this
// peer), with the AS2 media type.
func (p *testPeer) signed(t testing.TB, u, signer string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, signer+"#main-key", p.key, body); err != nil {
		t.Fatal(err)
	}
	return req
}

// post sends activity to inbox u signed as its actor; it answers the
// status and the body.
func (p *testPeer) post(t testing.TB, u string, activity map[string]any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(activity)
	return do(t, p.signed(t, u, activity["actor"].(string), b))
}

func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fedEnv is a served Naamio with pods alice and bob that allows fetches
// from the test peers (and itself), and the owners' credentials.
type fedEnv struct {
	s     *Server
	base  string // with a trailing slash
	peers []*testPeer
}

func newFedEnv(t *testing.T, npeers int) *fedEnv { return newFedEnvWith(t, npeers, nil) }

// newFedEnvWith is newFedEnv with mod applied to the server's Config.
func newFedEnvWith(t *testing.T, npeers int, mod func(*Config)) *fedEnv {
	t.Helper()
	e := &fedEnv{}
	for range npeers {
		e.peers = append(e.peers, newPeer(t))
	}
	e.s, e.base = serveFed(t, func(c *Config) {
		for _, p := range e.peers {
			c.AllowFetch = append(c.AllowFetch, addrPort(t, p.srv.URL))
		}
		c.AllowFetch = append(c.AllowFetch, addrPort(t, c.BaseURL))
		if mod != nil {
			mod(c)
		}
	}, "alice", "bob")
	return e
}

func (e *fedEnv) actor(pod string) string {
	return strings.TrimSuffix(e.base, "/") + "/.ap/actors/" + pod
}
func (e *fedEnv) inbox(pod string) string { return e.base + pod + "/inbox/" }

// ownerGet GETs u as the owner of pod (client credentials, DPoP) with
// Accept accept; it answers the status and body.
func (e *fedEnv) ownerGet(t *testing.T, pod, u, accept string) (int, []byte) {
	t.Helper()
	id, secret, key := scriptCredentials(t, e.s, pod+"@example.org")
	st, access := tokenRequest(t, e.base, id, secret, key)
	if st != 200 {
		t.Fatalf("token: %d", st)
	}
	return authGet(t, u, accept, access, key)
}

func authGet(t *testing.T, u, accept, access string, key *testissuer.Key) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", accept)
	if access != "" {
		proof, err := key.Proof(http.MethodGet, strings.SplitN(u, "?", 2)[0], access, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "DPoP "+access)
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// inboxItems is the owner's view of pod's inbox: its first page.
func (e *fedEnv) inboxItems(t *testing.T, pod string) []map[string]any {
	t.Helper()
	st, body := e.ownerGet(t, pod, e.inbox(pod)+"?page=1", "application/activity+json")
	if st != 200 {
		t.Fatalf("inbox page: %d %s", st, body)
	}
	var page struct {
		OrderedItems []map[string]any `json:"orderedItems"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	return page.OrderedItems
}

var noteSeq atomic.Int64

// note is a Note by actor, addressed publicly.
func note(actor, content string) map[string]any {
	return map[string]any{
		"id": fmt.Sprintf("%s/notes/%d", actor, noteSeq.Add(1)), "type": "Note", "attributedTo": actor,
		"content": content, "to": []any{"https://www.w3.org/ns/activitystreams#Public"},
	}
}

func activity(typ, actor string, object any) map[string]any {
	return map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       fmt.Sprintf("%s/activities/%d", actor, noteSeq.Add(1)),
		"type":     typ, "actor": actor, "object": object,
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A peer follows alice: the follower is recorded (the followers
// collection counts and lists it), and an Accept of that Follow, signed
// by alice's key, reaches the follower's inbox. Undo{Follow} removes it.
func TestInboxFollowAccepted(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	carl := p.actor("carl")
	follow := activity("Follow", carl, e.actor("alice"))
	if st, body := p.post(t, e.inbox("alice"), follow); st != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", st, body)
	}
	resp, body := fedGet(t, e.actor("alice")+"/followers", "application/activity+json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"totalItems":1`) {
		t.Fatalf("followers: %d %s", resp.StatusCode, body)
	}
	_, body = fedGet(t, e.actor("alice")+"/followers?page=true", "application/activity+json")
	if !strings.Contains(string(body), `"orderedItems":["`+carl+`"]`) {
		t.Fatalf("followers page: %s", body)
	}
	waitFor(t, "the Accept", func() bool { return len(p.received("Accept")) > 0 })
	acc := p.received("Accept")[0]
	if acc["actor"] != e.actor("alice") || acc["object"].(map[string]any)["id"] != follow["id"] {
		t.Fatalf("Accept: %v", acc)
	}
	if st, body := p.post(t, e.inbox("alice"), activity("Undo", carl, follow)); st != http.StatusAccepted {
		t.Fatalf("Undo: %d %s", st, body)
	}
	if _, body := fedGet(t, e.actor("alice")+"/followers", "application/activity+json"); !strings.Contains(string(body), `"totalItems":0`) {
		t.Fatalf("followers after Undo: %s", body)
	}
}

// A locked account's Follow waits for the owner (nothing is sent).
func TestInboxFollowLocked(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	recs, _ := e.s.store.KV("s")
	if err := federation.SaveSettings(context.Background(), recs, "alice", federation.Settings{Locked: true}); err != nil {
		t.Fatal(err)
	}
	carl := p.actor("carl")
	if st, body := p.post(t, e.inbox("alice"), activity("Follow", carl, e.actor("alice"))); st != http.StatusAccepted {
		t.Fatalf("Follow: %d %s", st, body)
	}
	if _, ok, err := e.s.fed.Relations().Pending(context.Background(), "alice", carl); err != nil || !ok {
		t.Fatalf("not pending: %v %v", ok, err)
	}
	if n, _ := e.s.fed.Relations().CountFollowers(context.Background(), "alice"); n != 0 {
		t.Fatalf("%d followers", n)
	}
}

// Create, Update, Delete of a peer's note: the inbox (the owner's
// OrderedCollection view, newest first) holds the note, then its edited
// text, then a Tombstone; each activity keeps its id, type and actor.
func TestInboxCreateUpdateDelete(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	carl := p.actor("carl")
	n := note(carl, "first")
	create := activity("Create", carl, n)
	if st, body := p.post(t, e.inbox("alice"), create); st != http.StatusAccepted {
		t.Fatalf("Create: %d %s", st, body)
	}
	// A redelivery replaces, never duplicates.
	if st, _ := p.post(t, e.inbox("alice"), create); st != http.StatusAccepted {
		t.Fatal("redelivery", st)
	}
	items := e.inboxItems(t, "alice")
	if len(items) != 1 || items[0]["id"] != create["id"] || items[0]["type"] != "Create" || items[0]["actor"] != carl ||
		items[0]["object"].(map[string]any)["content"] != "first" {
		t.Fatalf("after Create: %v", items)
	}
	edited := note(carl, "edited")
	edited["id"] = n["id"]
	if st, body := p.post(t, e.inbox("alice"), activity("Update", carl, edited)); st != http.StatusAccepted {
		t.Fatalf("Update: %d %s", st, body)
	}
	items = e.inboxItems(t, "alice")
	if len(items) != 2 || items[0]["type"] != "Update" || items[1]["object"].(map[string]any)["content"] != "edited" {
		t.Fatalf("after Update: %v", items)
	}
	if st, body := p.post(t, e.inbox("alice"), activity("Delete", carl, n["id"])); st != http.StatusAccepted {
		t.Fatalf("Delete: %d %s", st, body)
	}
	items = e.inboxItems(t, "alice")
	for _, it := range items {
		if o, ok := it["object"].(map[string]any); ok && o["id"] == n["id"] && o["type"] != "Tombstone" {
			t.Fatalf("a copy survived the Delete: %v", it)
		}
	}
	if items[len(items)-1]["object"].(map[string]any)["type"] != "Tombstone" {
		t.Fatalf("after Delete: %v", items)
	}
}

// The inbox as a collection is the owner's: the public gets 401, another
// pod's owner 403; without an AS2 Accept the container is ldp's, as
// before; an unsigned LDN POST still goes to ldp.
func TestInboxCollectionAccess(t *testing.T) {
	e := newFedEnv(t, 0)
	if st, body := authGet(t, e.inbox("alice"), "application/activity+json", "", nil); st != 401 {
		t.Fatalf("anonymous: %d %s", st, body)
	}
	if st, body := e.ownerGet(t, "bob", e.inbox("alice"), "application/activity+json"); st != 403 {
		t.Fatalf("bob: %d %s", st, body)
	}
	st, body := e.ownerGet(t, "alice", e.inbox("alice"), "application/activity+json")
	if st != 200 || !strings.Contains(string(body), `"type":"OrderedCollection"`) || !strings.Contains(string(body), `"totalItems":0`) {
		t.Fatalf("owner: %d %s", st, body)
	}
	st, body = e.ownerGet(t, "alice", e.inbox("alice"), "text/turtle")
	if st != 200 || !strings.Contains(string(body), "ldp:") && !strings.Contains(string(body), "ldp#") {
		t.Fatalf("owner, Turtle: %d %s", st, body)
	}
	// LDN: an unsigned Turtle POST is ldp's (anonymous: 401 from ldp).
	req, _ := http.NewRequest(http.MethodPost, e.inbox("alice"), strings.NewReader("<#a> <#b> <#c>."))
	req.Header.Set("Content-Type", "text/turtle")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("LDN POST: %d %v", resp.StatusCode, resp.Header)
	}
}

// Undo of a Like keeps the stored Like, marked as undone by the Undo;
// Undo of an activity named by id only finds it in the inbox.
func TestInboxUndoLikeMarks(t *testing.T) {
	e := newFedEnv(t, 1)
	p := e.peers[0]
	carl := p.actor("carl")
	like := activity("Like", carl, e.actor("alice")+"/objects/n1")
	if st, body := p.post(t, e.inbox("alice"), like); st != http.StatusAccepted {
		t.Fatalf("Like: %d %s", st, body)
	}
	if st, body := p.post(t, e.inbox("alice"), activity("Undo", carl, like["id"])); st != http.StatusAccepted {
		t.Fatalf("Undo: %d %s", st, body)
	}
	items := e.inboxItems(t, "alice")
	if len(items) != 2 || items[1]["id"] != like["id"] || items[1]["https://naamio.dev/ns#undoneBy"] != items[0]["id"] {
		t.Fatalf("the Like is not marked as undone: %v", items)
	}
}
