package federation

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/naamio/naamio/ldp"
)

// Issue 14 "Actor document": id equal to the URL fetched, the standard
// contexts only, the members peers read, the key that signs for the pod.
func TestActorDocument(t *testing.T) {
	f := newFixture(t)
	p := f.addPod("alice", "Alice Example")
	resp := f.get("/.ap/actors/alice", MediaActivityJSON)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != MediaActivityJSON {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc := readJSON(t, resp)
	url := f.srv.URL + "/.ap/actors/alice"
	want := map[string]any{
		"id":                        url,
		"type":                      "Person",
		"preferredUsername":         "alice",
		"name":                      "Alice Example",
		"inbox":                     p.Root + "inbox/",
		"outbox":                    url + "/outbox",
		"followers":                 url + "/followers",
		"following":                 url + "/following",
		"url":                       p.WebID,
		"alsoKnownAs":               []any{p.WebID},
		"endpoints":                 map[string]any{"sharedInbox": f.srv.URL + "/.ap/inbox"},
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
	}
	for k, v := range want {
		if !reflect.DeepEqual(doc[k], v) {
			t.Errorf("%s = %#v, want %#v", k, doc[k], v)
		}
	}
	ctx, _ := doc["@context"].([]any)
	if len(ctx) != 3 || ctx[0] != asContext || ctx[1] != securityContext {
		t.Errorf("@context = %#v: want the AS2 and security contexts, then inline terms", doc["@context"])
	}
	if _, inline := ctx[2].(map[string]any); !inline {
		t.Errorf("third @context entry is not inline: %#v", ctx[2])
	}
	if _, err := time.Parse(time.RFC3339, doc["published"].(string)); err != nil {
		t.Errorf("published %v: %v", doc["published"], err)
	}
	pk, _ := doc["publicKey"].(map[string]any)
	if pk["id"] != url+"#main-key" || pk["owner"] != url {
		t.Errorf("publicKey id/owner = %v / %v", pk["id"], pk["owner"])
	}
	blk, _ := pem.Decode([]byte(pk["publicKeyPem"].(string)))
	if blk == nil || blk.Type != "PUBLIC KEY" {
		t.Fatalf("publicKeyPem %v", pk["publicKeyPem"])
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := f.svc.cfg.Keys.Key(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if rp, ok := pub.(*rsa.PublicKey); !ok || !rp.Equal(&key.Private.PublicKey) {
		t.Error("publicKeyPem is not the key the pod signs with")
	}
	// The same document on a second fetch (the key is not made again).
	again := readJSON(t, f.get("/.ap/actors/alice", ""))
	if again["publicKey"].(map[string]any)["publicKeyPem"] != pk["publicKeyPem"] || again["published"] != doc["published"] {
		t.Error("a second fetch shows another key")
	}
}

// Content negotiation of the actor URL (AP §3.2; a browser is sent to
// the WebID profile).
func TestActorNegotiation(t *testing.T) {
	f := newFixture(t)
	p := f.addPod("alice", "")
	for _, c := range []struct {
		accept, wantType string
		wantStatus       int
	}{
		{"", MediaActivityJSON, 200},
		{"*/*", MediaActivityJSON, 200},
		{MediaActivityJSON, MediaActivityJSON, 200},
		{MediaLDJSONAS, MediaLDJSONAS, 200},
		{"application/ld+json", MediaLDJSONAS, 200},
		{`application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, MediaActivityJSON, 200},
		{"application/json", "application/json", 200},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "", http.StatusSeeOther},
		{"image/png", "", http.StatusNotAcceptable},
		{"text/turtle", "", http.StatusNotAcceptable},
		{"garbage;;;q=x", MediaActivityJSON, 200}, // an unparsable Accept is ignored
	} {
		resp := f.get("/.ap/actors/alice", c.accept)
		if resp.StatusCode != c.wantStatus {
			t.Errorf("Accept %q: status %d, want %d", c.accept, resp.StatusCode, c.wantStatus)
			continue
		}
		if c.wantType != "" && resp.Header.Get("Content-Type") != c.wantType {
			t.Errorf("Accept %q: Content-Type %q, want %q", c.accept, resp.Header.Get("Content-Type"), c.wantType)
		}
		if c.wantStatus == http.StatusSeeOther && resp.Header.Get("Location") != p.WebID {
			t.Errorf("browser sent to %q, want the WebID %q", resp.Header.Get("Location"), p.WebID)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept") {
			t.Errorf("Accept %q: no Vary: Accept", c.accept)
		}
	}
	head := f.do(http.MethodHead, f.srv.URL+"/.ap/actors/alice", MediaActivityJSON)
	b, _ := io.ReadAll(head.Body)
	if head.StatusCode != 200 || len(b) != 0 || head.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: %d, %d body bytes, Content-Length %q", head.StatusCode, len(b), head.Header.Get("Content-Length"))
	}
}

// Actors of pods that are not there, and URLs that are no actor.
func TestActorBadRequests(t *testing.T) {
	f := newFixture(t)
	f.addPod("alice", "")
	f.addPod("gone", "")
	ctx := context.Background()
	if err := f.pods.Retire(ctx, "gone", "acct-gone", nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/.ap/actors/bob", 404},
		{"GET", "/.ap/actors/gone", 410},
		{"GET", "/.ap/actors/Alice", 404},
		{"GET", "/.ap/actors/alice/", 404},
		{"GET", "/.ap/actors/alice%2F..", 404},
		{"GET", "/.ap/actors/" + strings.Repeat("a", 5000), 404},
		{"GET", "/.ap/actors/al.ice", 404},
		{"GET", "/.ap/actors/", 404},
		{"POST", "/.ap/actors/alice", 405},
		{"PUT", "/.ap/actors/alice", 405},
		{"DELETE", "/.ap/actors/alice", 405},
	} {
		resp := f.do(c.method, f.srv.URL+c.path, MediaActivityJSON)
		if resp.StatusCode != c.want {
			t.Errorf("%s %.60s: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
		}
		if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "activity") || strings.Contains(ct, "ld+json") {
			t.Errorf("%s %.60s: error answered as %q", c.method, c.path, ct)
		}
	}
}

// What the actor takes from the user-writable WebID profile is
// sanitised: plain text, capped, an icon only as an http(s) URL.
func TestActorProfileSanitised(t *testing.T) {
	long := strings.Repeat("x", 10000)
	for _, c := range []struct {
		name, turtle         string
		wantName, wantIcon   string
		wantSummary          string
		summaryHas, nameHasN string
	}{
		{name: "script in name",
			turtle:   `<#me> foaf:name "<script>alert(1)</script><b>Bob</b>" .`,
			wantName: "alert(1) Bob"},
		{name: "escaped markup",
			turtle:   `<#me> foaf:name "&lt;img src=x onerror=alert(1)&gt;Eve" .`,
			wantName: "Eve"},
		{name: "huge name", turtle: `<#me> foaf:name "` + long + `" .`,
			wantName: strings.Repeat("x", maxNameRunes-1) + "…"},
		{name: "control and bidi characters",
			turtle:   `<#me> foaf:name "Ma\u202Eller\u0007\n\tX" .`,
			wantName: "Maller X"},
		{name: "vcard fn when no foaf name", turtle: `<#me> vcard:fn "Card Name" .`, wantName: "Card Name"},
		{name: "no name: the pod name", turtle: `<#me> a foaf:Person .`, wantName: "alice"},
		{name: "summary is escaped HTML",
			turtle:      `<#me> vcard:note "I <3 <a href='javascript:x'>pods</a> & more\nline two" .`,
			wantName:    "alice",
			wantSummary: "<p>I &lt;3 pods &amp; more<br>line two</p>"},
		{name: "javascript icon dropped",
			turtle:   `<#me> foaf:img <javascript:alert(1)> .`,
			wantName: "alice"},
		{name: "data icon dropped, next one kept",
			turtle:   `<#me> foaf:img <data:image/png;base64,AAAA> ; vcard:hasPhoto <https://img.example/a.png> .`,
			wantName: "alice", wantIcon: "https://img.example/a.png"},
		{name: "icon with user info dropped",
			turtle:   `<#me> foaf:img <https://u:p@img.example/a.png> .`,
			wantName: "alice"},
		{name: "literal icon dropped",
			turtle:   `<#me> foaf:img "https://img.example/a.png" .`,
			wantName: "alice"},
		{name: "vcard photo node",
			turtle:   `<#me> vcard:hasPhoto [ vcard:value <http://img.example/b.jpg> ] .`,
			wantName: "alice", wantIcon: "http://img.example/b.jpg"},
		{name: "huge icon URL dropped",
			turtle:   `<#me> foaf:img <https://img.example/` + long + `> .`,
			wantName: "alice"},
		{name: "statements about another subject ignored",
			turtle:   `<#other> foaf:name "Mallory" ; foaf:img <https://img.example/m.png> .`,
			wantName: "alice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.addPod("alice", "")
			f.putProfile("alice", "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"+
				"@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n"+c.turtle)
			doc := readJSON(t, f.get("/.ap/actors/alice", MediaActivityJSON))
			if doc["name"] != c.wantName {
				t.Errorf("name %q, want %q", doc["name"], c.wantName)
			}
			if n, _ := doc["name"].(string); utf8.RuneCountInString(n) > maxNameRunes {
				t.Errorf("name has %d runes", utf8.RuneCountInString(n))
			}
			icon, _ := doc["icon"].(map[string]any)
			if got, _ := icon["url"].(string); got != c.wantIcon {
				t.Errorf("icon %q, want %q", got, c.wantIcon)
			}
			if got, _ := doc["summary"].(string); got != c.wantSummary {
				t.Errorf("summary %q, want %q", got, c.wantSummary)
			}
		})
	}
}

// A profile that is not what a profile should be still gives an actor.
func TestActorDamagedProfile(t *testing.T) {
	f := newFixture(t)
	f.addPod("alice", "Alice")
	f.addPod("bob", "Bob")
	ctx := context.Background()
	if err := f.st.Delete(ctx, ldp.DeleteRequest{Path: "/alice/profile/card"}); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.st.Put(ctx, ldp.PutRequest{Path: "/bob/profile/card", ContentType: "text/html",
		Body: strings.NewReader(`<p about="#me" property="foaf:name">Evil</p>`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} {
		doc := readJSON(t, f.get("/.ap/actors/"+name, MediaActivityJSON))
		if doc["name"] != name || doc["id"] != f.srv.URL+"/.ap/actors/"+name {
			t.Errorf("actor without a usable profile: %v", doc)
		}
	}
}

// A locked account says so (manuallyApprovesFollowers); a hidden one
// asks not to be listed.
func TestActorSettings(t *testing.T) {
	f := newFixture(t)
	f.addPod("alice", "")
	if err := SaveSettings(context.Background(), f.svc.cfg.Records, "alice", Settings{Locked: true, Hidden: true}); err != nil {
		t.Fatal(err)
	}
	doc := readJSON(t, f.get("/.ap/actors/alice", MediaActivityJSON))
	if doc["manuallyApprovesFollowers"] != true || doc["discoverable"] != false {
		t.Errorf("locked: %v, discoverable: %v", doc["manuallyApprovesFollowers"], doc["discoverable"])
	}
	if err := SaveSettings(context.Background(), f.svc.cfg.Records, "../x", Settings{}); err == nil {
		t.Error("settings saved for a non-pod name")
	}
}

// A pod on a host of its own: its actor is still on the base host, its
// inbox and WebID on the pod's host, and both find each other.
func TestActorSubdomainPod(t *testing.T) {
	f := newFixture(t)
	p := f.addPodLayout("carol", "Carol", true)
	if !strings.HasPrefix(p.Root, "http://carol.127.0.0.1:") {
		t.Fatalf("pod root %s", p.Root)
	}
	actor := f.srv.URL + "/.ap/actors/carol"
	doc := readJSON(t, f.get("/.ap/actors/carol", MediaActivityJSON))
	if doc["id"] != actor || doc["inbox"] != p.Root+"inbox/" || doc["url"] != p.WebID || doc["name"] != "Carol" {
		t.Errorf("actor %v", doc)
	}
	want := `<` + actor + `>; rel="alternate"; type="application/activity+json"`
	if got := f.svc.ProfileLinks(p.Root + "profile/card"); got != want {
		t.Errorf("profile links %q", got)
	}
	if got := f.svc.ProfileLinks(f.srv.URL + "/carol/profile/card"); got != "" {
		t.Errorf("the base-host spelling of a subdomain pod's profile got %q", got)
	}
	resp := webfinger(f, p.WebID)
	if resp.StatusCode != 200 {
		t.Errorf("webfinger by the subdomain WebID: %d", resp.StatusCode)
	}
}
