package fedipeer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// wait bounds the waits for what the peers do; most is done when a control
// call returns (the peers send without a queue).
const wait = 30 * time.Second

// TestTwoPeersTalk: the harness works without Naamio. Peer A's alice
// follows peer B's bob and is accepted; bob's Note reaches alice; alice's
// Like reaches bob signed in the form A knocks with first (both Fedify, so
// the first knock succeeds: RFC 9421 by default, draft-cavage when told);
// the Undo of the Like and the Undo of the Follow reach bob and end the
// relation on both sides.
func TestTwoPeersTalk(t *testing.T) {
	for _, knock := range []struct{ first, want string }{
		{KnockRFC9421, SigRFC9421},
		{KnockCavage, SigCavage},
	} {
		t.Run(knock.want, func(t *testing.T) {
			a := StartWith(t, Options{Actors: []string{"alice"}, FirstKnock: knock.first})
			b := StartWith(t, Options{Actors: []string{"bob"}, FirstKnock: knock.first})
			alice, bob := a.ActorIRI("alice"), b.ActorIRI("bob")

			follow, err := a.Follow("alice", bob)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.WaitFollowing(wait, "alice", bob, "accepted"); err != nil {
				t.Fatal(err)
			}
			got, err := b.WaitReceived(wait, func(x Activity) bool { return x.Type == "Follow" && x.ID == follow.ID })
			if err != nil {
				t.Fatal(err)
			}
			if got.Actor != alice || got.Object != bob || got.Signature != knock.want {
				t.Fatalf("bob got Follow %+v, want actor %s, object %s, signature %s", got, alice, bob, knock.want)
			}
			if _, err := a.WaitReceived(wait, func(x Activity) bool { return x.Type == "Accept" && x.Actor == bob && x.Object == follow.ID }); err != nil {
				t.Fatal(err)
			}
			if spec, err := a.SignatureSpec(b.Origin); err != nil || spec != knock.first {
				t.Fatalf("A remembered %q (%v) for B; want %q", spec, err, knock.first)
			}
			if spec, err := a.SignatureSpec("http://127.0.0.1:1"); err != nil || spec != "" {
				t.Fatalf("A remembered %q (%v) for an origin it never sent to", spec, err)
			}
			followers, err := b.Followers("bob")
			if err != nil || len(followers) != 1 || followers[0].ID != alice || followers[0].Inbox == nil {
				t.Fatalf("bob's followers: %+v, %v; want alice with her inbox", followers, err)
			}

			post, err := b.Post("bob", Note{Content: "<p>Hello from bob</p>"})
			if err != nil {
				t.Fatal(err)
			}
			if post.Note == "" || !strings.HasPrefix(post.Note, b.Origin+"/") || len(post.Recipients) != 1 || post.Recipients[0] != alice {
				t.Fatalf("bob's post: %+v; want a Note of %s sent to alice", post, b.Origin)
			}
			created, err := a.WaitReceived(wait, func(x Activity) bool { return x.Type == "Create" && x.Object == post.Note })
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Object struct {
					Content      string `json:"content"`
					AttributedTo string `json:"attributedTo"`
				} `json:"object"`
			}
			if err := json.Unmarshal(created.JSON, &body); err != nil || body.Object.Content != "<p>Hello from bob</p>" || body.Object.AttributedTo != bob {
				t.Fatalf("alice got Create %s (%v); want bob's note", created.JSON, err)
			}
			// The Create went to alice's shared inbox (preferSharedInbox).
			if created.Recipient != nil || created.Signature != knock.want {
				t.Fatalf("alice got Create in inbox %v signed %s; want the shared inbox, %s", created.Recipient, created.Signature, knock.want)
			}
			objs, err := a.RemoteObjects("alice")
			if err != nil || len(objs) != 1 || objs[0].ID != post.Note || objs[0].Deleted {
				t.Fatalf("alice's remote objects: %+v, %v", objs, err)
			}

			like, err := a.Like("alice", post.Note)
			if err != nil {
				t.Fatal(err)
			}
			got, err = b.WaitReceived(wait, func(x Activity) bool { return x.Type == "Like" && x.ID == like.ID })
			if err != nil {
				t.Fatal(err)
			}
			if got.Actor != alice || got.Object != post.Note || got.Signature != knock.want {
				t.Fatalf("bob got Like %+v; want alice liking %s signed %s", got, post.Note, knock.want)
			}
			// The request log agrees: the POST that brought the Like was
			// accepted and carried the signature header(s) of that form.
			reqs, err := b.Requests()
			if err != nil {
				t.Fatal(err)
			}
			var seen bool
			for _, r := range reqs {
				if r.Method == http.MethodPost && r.ActivityID != nil && *r.ActivityID == like.ID {
					seen = true
					if r.Status/100 != 2 || r.Signature != knock.want || (knock.want == SigRFC9421) != (r.SignatureHeaders.SignatureInput != nil) {
						t.Fatalf("the Like's POST: %+v", r)
					}
				}
			}
			if !seen {
				t.Fatalf("no POST of the Like in bob's request log: %+v", reqs)
			}

			undoLike, err := a.Undo("alice", like.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err = b.WaitReceived(wait, func(x Activity) bool { return x.Type == "Undo" && x.ID == undoLike.ID })
			if err != nil {
				t.Fatal(err)
			}
			if got.Object != like.ID || got.ObjectType != "Like" {
				t.Fatalf("bob got Undo %+v; want the Like %s embedded", got, like.ID)
			}

			// bob edits and deletes his note; alice sees both.
			if _, err := b.Update("bob", post.Note, "<p>Edited</p>"); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Delete("bob", post.Note); err != nil {
				t.Fatal(err)
			}
			objs, err = a.RemoteObjects("alice")
			if err != nil || len(objs) != 1 || objs[0].Updates != 1 || !objs[0].Deleted {
				t.Fatalf("alice's remote objects after Update and Delete: %+v, %v", objs, err)
			}

			unfollow, err := a.Unfollow("alice", bob)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.WaitReceived(wait, func(x Activity) bool { return x.Type == "Undo" && x.ID == unfollow.ID && x.Object == follow.ID }); err != nil {
				t.Fatal(err)
			}
			if followers, err := b.Followers("bob"); err != nil || len(followers) != 0 {
				t.Fatalf("bob's followers after the Undo: %+v, %v", followers, err)
			}
			if following, err := a.Following("alice"); err != nil || len(following) != 0 {
				t.Fatalf("alice's following after the Undo: %+v, %v", following, err)
			}
			if errs, err := b.InboxErrors(); err != nil || len(errs) != 0 {
				t.Fatalf("bob's inbox errors: %+v, %v", errs, err)
			}
		})
	}
}

// TestBlockAndPolicies: a Follow from a blocked actor, or while the
// policy is reject, is answered with Reject; manual keeps it pending until
// AnswerFollow; a Block ends the follow both ways.
func TestBlockAndPolicies(t *testing.T) {
	a := Start(t) // bob
	b := StartWith(t, Options{Actors: []string{"carol"}})
	bob, carol := a.ActorIRI("bob"), b.ActorIRI("carol")

	if err := b.SetFollowPolicy("carol", PolicyManual); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Follow("bob", carol); err != nil {
		t.Fatal(err)
	}
	if p, err := b.PendingFollowers("carol"); err != nil || len(p) != 1 || p[0].ID != bob {
		t.Fatalf("carol's pending followers: %+v, %v", p, err)
	}
	if err := a.WaitFollowing(wait, "bob", carol, "pending"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AnswerFollow("carol", bob, true); err != nil {
		t.Fatal(err)
	}
	if err := a.WaitFollowing(wait, "bob", carol, "accepted"); err != nil {
		t.Fatal(err)
	}

	block, err := b.Block("carol", bob)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitReceived(wait, func(x Activity) bool { return x.Type == "Block" && x.ID == block.ID && x.Object == bob }); err != nil {
		t.Fatal(err)
	}
	if err := a.WaitFollowing(wait, "bob", carol, ""); err != nil {
		t.Fatal(err)
	}
	if f, err := b.Followers("carol"); err != nil || len(f) != 0 {
		t.Fatalf("carol's followers after her Block: %+v, %v", f, err)
	}
	if err := b.SetFollowPolicy("carol", PolicyAccept); err != nil {
		t.Fatal(err)
	}
	// Blocked: Reject even though the policy accepts.
	if _, err := a.Follow("bob", carol); err != nil {
		t.Fatal(err)
	}
	if err := a.WaitFollowing(wait, "bob", carol, "rejected"); err != nil {
		t.Fatal(err)
	}
	unblock, err := b.Unblock("carol", bob)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitReceived(wait, func(x Activity) bool { return x.Type == "Undo" && x.ID == unblock.ID && x.ObjectType == "Block" }); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Follow("bob", carol); err != nil {
		t.Fatal(err)
	}
	if err := a.WaitFollowing(wait, "bob", carol, "accepted"); err != nil {
		t.Fatal(err)
	}

	// A reply that mentions bob reaches him even though he follows no one
	// back; an Announce reaches the author.
	reply, err := b.Post("carol", Note{Content: "hi bob", To: "followers", Mention: bob})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WaitReceived(wait, func(x Activity) bool { return x.Type == "Create" && x.Object == reply.Note }); err != nil {
		t.Fatal(err)
	}
	ann, err := a.Announce("bob", reply.Note)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitReceived(wait, func(x Activity) bool { return x.Type == "Announce" && x.ID == ann.ID && x.Object == reply.Note }); err != nil {
		t.Fatal(err)
	}
	back, err := a.Post("bob", Note{Content: "hi carol", InReplyTo: reply.Note})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.WaitReceived(wait, func(x Activity) bool { return x.Type == "Create" && x.Object == back.Note })
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got.JSON), reply.Note) {
		t.Fatalf("the reply does not name %s: %s", reply.Note, got.JSON)
	}
	// carol does not follow bob: his reply's Update and Delete reach her
	// as the author of what he replied to.
	if _, err := a.Update("bob", back.Note, "hi again"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Delete("bob", back.Note); err != nil {
		t.Fatal(err)
	}
	objs, err := b.RemoteObjects("carol")
	if err != nil {
		t.Fatal(err)
	}
	var seen bool
	for _, o := range objs {
		if o.ID == back.Note {
			seen = true
			if o.Updates != 1 || !o.Deleted {
				t.Fatalf("carol's copy of bob's reply: %+v; want one update and deleted", o)
			}
		}
	}
	if !seen {
		t.Fatalf("carol has no copy of bob's reply: %+v", objs)
	}

	// Lookup shows how Fedify read a fetched document.
	l, err := a.Lookup("bob", carol)
	if err != nil || !l.Found || l.Type != "Person" || l.ID != carol || !strings.Contains(string(l.JSON), b.InboxIRI("carol")) {
		t.Fatalf("lookup of carol: %+v, %v", l, err)
	}
	if l, err := a.Lookup("bob", b.Origin+"/users/nobody"); err != nil || l.Found {
		t.Fatalf("lookup of a missing actor: %+v, %v", l, err)
	}
}

// TestControlBadInput: the control API refuses what it cannot do with a
// 400 naming the problem and sends nothing.
func TestControlBadInput(t *testing.T) {
	p := Start(t)
	bob := p.ActorIRI("bob")
	for _, c := range []struct {
		name, path string
		body       map[string]any
	}{
		{"unknown actor", "/control/follow", map[string]any{"actor": "nobody", "target": bob}},
		{"no actor", "/control/like", map[string]any{"object": bob}},
		{"target not an IRI", "/control/follow", map[string]any{"actor": "bob", "target": "not a url"}},
		{"target not http", "/control/follow", map[string]any{"actor": "bob", "target": "file:///etc/passwd"}},
		{"target a number", "/control/block", map[string]any{"actor": "bob", "target": 7}},
		{"content missing", "/control/note", map[string]any{"actor": "bob"}},
		{"bad addressing", "/control/note", map[string]any{"actor": "bob", "content": "x", "to": "everyone"}},
		{"unfollow of no follow", "/control/unfollow", map[string]any{"actor": "bob", "target": bob}},
		{"undo of an unknown activity", "/control/undo", map[string]any{"actor": "bob", "activity": bob + "/activities/nope"}},
		{"update of another's note", "/control/update", map[string]any{"actor": "bob", "note": "http://127.0.0.1:1/users/x/posts/y", "content": "x"}},
		{"delete of no note", "/control/delete", map[string]any{"actor": "bob", "note": bob + "/posts/none"}},
		{"unblock of no block", "/control/unblock", map[string]any{"actor": "bob", "target": bob}},
		{"bad policy", "/control/follow-policy", map[string]any{"actor": "bob", "policy": "maybe"}},
		{"answer without a pending follow", "/control/answer-follow", map[string]any{"actor": "bob", "follower": bob, "accept": true}},
		{"delivery not a boolean", "/control/delivery", map[string]any{"preferSharedInbox": "yes"}},
		{"send-raw bad spec", "/control/send-raw", map[string]any{"actor": "bob", "inbox": bob + "/inbox", "json": "{}", "spec": "hs2019"}},
		{"send-raw bad tamper", "/control/send-raw", map[string]any{"actor": "bob", "inbox": bob + "/inbox", "json": "{}", "tamper": "date"}},
		{"send-raw no body", "/control/send-raw", map[string]any{"actor": "bob", "inbox": bob + "/inbox"}},
		{"send-raw bad offset", "/control/send-raw", map[string]any{"actor": "bob", "inbox": bob + "/inbox", "json": "{}", "timeOffset": "1h"}},
		{"send-raw inbox not http", "/control/send-raw", map[string]any{"actor": "bob", "inbox": "ftp://127.0.0.1/", "json": "{}"}},
		{"fetch-raw bad spec", "/control/fetch-raw", map[string]any{"actor": "bob", "url": bob, "spec": "hs2019"}},
		{"lookup no iri", "/control/lookup", map[string]any{"actor": "bob"}},
		{"inbox status 200", "/control/inbox-behaviour", map[string]any{"status": 200}},
		{"inbox status not a number", "/control/inbox-behaviour", map[string]any{"status": "503"}},
		{"inbox delay too long", "/control/inbox-behaviour", map[string]any{"delayMs": 600000}},
		{"inbox delay negative", "/control/inbox-behaviour", map[string]any{"delayMs": -1}},
	} {
		err := p.call(http.MethodPost, c.path, c.body, nil)
		var ce *ControlError
		if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || ce.Message == "" {
			t.Errorf("%s: %v; want a 400 with a message", c.name, err)
		}
	}
	for _, c := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"not JSON", http.MethodPost, "/control/follow", "{", http.StatusBadRequest},
		{"JSON array", http.MethodPost, "/control/follow", "[]", http.StatusBadRequest},
		{"JSON null", http.MethodPost, "/control/follow", "null", http.StatusBadRequest},
		{"unknown call", http.MethodPost, "/control/explode", "{}", http.StatusNotFound},
		{"wrong method", http.MethodGet, "/control/follow", "", http.StatusNotFound},
		{"followers of nobody", http.MethodGet, "/control/followers?actor=nobody", "", http.StatusBadRequest},
		{"body too large", http.MethodPost, "/control/note", `{"content":"` + strings.Repeat("x", 2<<20) + `"}`, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(c.method, p.Origin+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	if sent, err := p.SentActivities(); err != nil || len(sent) != 0 {
		t.Fatalf("sent after refused calls: %+v, %v", sent, err)
	}
}

// TestDeliveryFailure: an inbox that refuses makes the control call fail
// with 502, so a test sees a delivery that did not happen; before giving
// up Fedify knocked twice, RFC 9421 first, then draft-cavage (the double
// knock INTEROP.md describes).
func TestDeliveryFailure(t *testing.T) {
	var mu sync.Mutex
	var forms []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			form := SigNone
			if r.Header.Get("Signature-Input") != "" {
				form = SigRFC9421
			} else if r.Header.Get("Signature") != "" {
				form = SigCavage
			}
			mu.Lock()
			forms = append(forms, form)
			mu.Unlock()
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		base := "http://" + r.Host
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams",
			"id":       base + "/actor",
			"type":     "Person",
			"inbox":    base + "/inbox",
			"outbox":   base + "/outbox",
		})
	}))
	defer srv.Close()
	p := Start(t)
	_, err := p.Follow("bob", srv.URL+"/actor")
	if !IsDeliveryError(err) {
		t.Fatalf("follow of an actor whose inbox answers 401: %v; want a delivery error", err)
	}
	var ce *ControlError
	if errors.As(err, &ce); ce.Sent == nil || ce.Sent.Type != "Follow" || ce.Sent.Error == nil {
		t.Fatalf("the error names no failed Follow: %+v", ce)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(forms) != 2 || forms[0] != SigRFC9421 || forms[1] != SigCavage {
		t.Fatalf("the inbox saw POSTs signed %v; want [rfc9421 cavage]", forms)
	}
}

// TestLifetime: the peer exits by itself after its lifetime.
func TestLifetime(t *testing.T) {
	p := StartWith(t, Options{MaxLifetime: 2 * time.Second})
	if _, err := p.Received(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := p.Received(); err != nil {
			return // gone
		}
		if time.Now().After(deadline) {
			t.Fatal("the peer still answers 20 s after a 2 s lifetime")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestUnsignedRefused: Received holds only activities Fedify verified. An
// unsigned POST and one with a forged draft-cavage signature are refused
// with 401, appear in Requests with their signature form, and not in
// Received.
func TestUnsignedRefused(t *testing.T) {
	p := Start(t)
	body := `{"@context":"https://www.w3.org/ns/activitystreams","id":"http://127.0.0.1:1/a/%d","type":"Create","actor":"http://127.0.0.1:1/actor","object":{"id":"http://127.0.0.1:1/n","type":"Note","content":"x"}}`
	for i, sig := range []string{"", `keyId="http://127.0.0.1:1/actor#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"`} {
		req, _ := http.NewRequest(http.MethodPost, p.InboxIRI("bob"), strings.NewReader(fmt.Sprintf(body, i)))
		req.Header.Set("Content-Type", "application/activity+json")
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		if sig != "" {
			req.Header.Set("Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %d (signature %q): %d, want 401", i, sig, resp.StatusCode)
		}
	}
	reqs, err := p.Requests()
	if err != nil {
		t.Fatal(err)
	}
	var forms []string
	for _, r := range reqs {
		if r.Method == http.MethodPost && r.Path == "/users/bob/inbox" {
			forms = append(forms, r.Signature)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("logged %+v; want status 401", r)
			}
		}
	}
	if len(forms) != 2 || forms[0] != SigNone || forms[1] != SigCavage {
		t.Fatalf("logged POSTs signed %v; want [none cavage]", forms)
	}
	if got, err := p.Received(); err != nil || len(got) != 0 {
		t.Fatalf("received %v, %v; want nothing", got, err)
	}
}

// TestRawRequests: SendRaw signs in the form asked for and Fedify (as
// receiver) accepts a good signature of either form, refuses a signature
// two hours old, a body changed after signing and a signer that is not
// the activity's actor; FetchRaw signs GETs; SetPreferSharedInbox(false)
// delivers to personal inboxes.
func TestRawRequests(t *testing.T) {
	p := StartWith(t, Options{Actors: []string{"alice", "bob", "carol"}})
	alice, carol := p.ActorIRI("alice"), p.ActorIRI("carol")
	like := func(n int, actor string) map[string]any {
		return map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams",
			"id":       fmt.Sprintf("%s/activities/raw-%d", actor, n),
			"type":     "Like",
			"actor":    actor,
			"object":   p.ActorIRI("bob"),
		}
	}
	for _, c := range []struct {
		name string
		post RawPost
		ok   bool
		sig  string
	}{
		{"cavage", RawPost{JSON: like(0, alice)}, true, SigCavage},
		{"rfc9421", RawPost{JSON: like(1, alice), Spec: KnockRFC9421}, true, SigRFC9421},
		{"cavage two hours old", RawPost{JSON: like(2, alice), TimeOffset: -7200}, false, SigCavage},
		{"rfc9421 two hours old", RawPost{JSON: like(3, alice), Spec: KnockRFC9421, TimeOffset: -7200}, false, SigRFC9421},
		{"cavage body changed", RawPost{JSON: like(4, alice), TamperBody: true}, false, SigCavage},
		{"rfc9421 body changed", RawPost{JSON: like(5, alice), Spec: KnockRFC9421, TamperBody: true}, false, SigRFC9421},
		{"signer is not the actor", RawPost{JSON: like(6, carol)}, false, SigCavage},
	} {
		c.post.Actor, c.post.Inbox = "alice", p.InboxIRI("bob")
		res, err := p.SendRaw(c.post)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := http.StatusUnauthorized
		if c.ok {
			want = http.StatusAccepted
		}
		if res.Signature != c.sig || res.Status != want {
			t.Errorf("%s: %d signed %s (%s); want %d signed %s", c.name, res.Status, res.Signature, res.Body, want, c.sig)
		}
	}
	got, err := p.Received()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID+" "+a.Signature)
	}
	want := []string{alice + "/activities/raw-0 cavage", alice + "/activities/raw-1 rfc9421"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("received %v; want %v", ids, want)
	}

	for _, spec := range []string{KnockCavage, KnockRFC9421, "none"} {
		res, err := p.FetchRaw("alice", p.ActorIRI("bob"), spec)
		if err != nil || res.Status != http.StatusOK || res.ContentType == nil || !strings.Contains(*res.ContentType, "activity+json") || !strings.Contains(res.Body, p.InboxIRI("bob")) {
			t.Fatalf("fetch of bob signed %s: %+v, %v", spec, res, err)
		}
	}
	reqs, err := p.Requests()
	if err != nil {
		t.Fatal(err)
	}
	var getForms []string
	for _, r := range reqs {
		if r.Method == http.MethodGet && r.Path == "/users/bob" {
			getForms = append(getForms, r.Signature)
		}
	}
	if strings.Join(getForms, ",") != "cavage,rfc9421,none" {
		t.Fatalf("GETs of bob arrived signed %v; want cavage, rfc9421, none", getForms)
	}

	// A down peer: the POST is answered 503 unhandled, then it is back.
	if err := p.SetInboxBehaviour(http.StatusServiceUnavailable, 0); err != nil {
		t.Fatal(err)
	}
	res, err := p.SendRaw(RawPost{Actor: "alice", Inbox: p.InboxIRI("bob"), JSON: like(7, alice)})
	if err != nil || res.Status != http.StatusServiceUnavailable {
		t.Fatalf("POST to a down peer: %+v, %v; want 503", res, err)
	}
	if err := p.SetInboxBehaviour(0, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err = p.SendRaw(RawPost{Actor: "alice", Inbox: p.InboxIRI("bob"), JSON: like(8, alice)})
	if err != nil || res.Status != http.StatusAccepted || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("POST to a slow peer: %+v, %v after %v; want 202 after 200 ms", res, err, time.Since(start))
	}
	if err := p.SetInboxBehaviour(0, 0); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Received(); err != nil || len(got) != 3 || got[2].ID != alice+"/activities/raw-8" {
		t.Fatalf("received after the down and slow POSTs: %v, %v; want raw-0, raw-1, raw-8", got, err)
	}

	// Personal inboxes: alice follows bob (same peer), bob posts.
	if err := p.SetPreferSharedInbox(false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Follow("alice", p.ActorIRI("bob")); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFollowing(wait, "alice", p.ActorIRI("bob"), "accepted"); err != nil {
		t.Fatal(err)
	}
	post, err := p.Post("bob", Note{Content: "to your own inbox"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := p.WaitReceived(wait, func(x Activity) bool { return x.Type == "Create" && x.Object == post.Note })
	if err != nil {
		t.Fatal(err)
	}
	if a.Recipient == nil || *a.Recipient != "alice" {
		t.Fatalf("the Create arrived in inbox %v; want alice's personal inbox", a.Recipient)
	}
}
