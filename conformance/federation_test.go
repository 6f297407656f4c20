package conformance

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Issue 14 (ActivityPub), "Discovery" and "Actor document", black-box on
// the shared server: a pod made through the account API is a Fediverse
// actor that peers find by its handle and Solid apps by its WebID.
func TestFederation(t *testing.T) {
	acct := newIdPAccount(t, srv, "fed")
	name := strings.TrimSuffix(strings.TrimPrefix(acct.pod, srv.base), "/")
	origin := strings.TrimSuffix(srv.base, "/")
	actor := origin + "/.ap/actors/" + name
	handle := "acct:" + name + "@" + srv.addr
	get := func(t *testing.T, u, accept string) *reply {
		t.Helper()
		return srv.doAs(t, nil, http.MethodGet, u, nil, "Accept", accept)
	}

	requirement(t, "ap-webfinger-acct", func(t *testing.T) {
		r := get(t, "/.well-known/webfinger?resource="+url.QueryEscape(handle), "")
		mustStatus(t, r, 200)
		if r.Header.Get("Content-Type") != "application/jrd+json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		var d struct {
			Subject string
			Aliases []string
			Links   []struct{ Rel, Type, Href string }
		}
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatal(err)
		}
		var self, page string
		for _, l := range d.Links {
			switch {
			case l.Rel == "self" && l.Type == "application/activity+json":
				self = l.Href
			case l.Rel == "http://webfinger.net/rel/profile-page":
				page = l.Href
			}
		}
		if d.Subject != handle || self != actor || page != acct.webID {
			t.Errorf("JRD %s", r.body)
		}
	})

	requirement(t, "ap-actor-document", func(t *testing.T) {
		for _, accept := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
			r := get(t, actor, accept)
			mustStatus(t, r, 200)
			if r.Header.Get("Content-Type") != accept {
				t.Errorf("Accept %s: Content-Type %q", accept, r.Header.Get("Content-Type"))
			}
			var doc struct {
				Context           []any `json:"@context"`
				ID, Type          string
				PreferredUsername string
				Inbox, Outbox     string
				Followers         string
				Following         string
				URL               string
				Endpoints         struct{ SharedInbox string }
				PublicKey         struct{ ID, Owner, PublicKeyPem string }
			}
			if err := json.Unmarshal(r.body, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Context) < 2 || doc.Context[0] != "https://www.w3.org/ns/activitystreams" || doc.Context[1] != "https://w3id.org/security/v1" {
				t.Errorf("@context %v", doc.Context)
			}
			for _, c := range doc.Context[2:] {
				if _, remote := c.(string); remote {
					t.Errorf("a third remote context %v", c)
				}
			}
			if doc.ID != actor || doc.Type != "Person" || doc.PreferredUsername != name || doc.Inbox != acct.pod+"inbox/" ||
				doc.Outbox != actor+"/outbox" || doc.Followers != actor+"/followers" || doc.Following != actor+"/following" ||
				doc.Endpoints.SharedInbox != origin+"/.ap/inbox" || doc.URL != acct.webID ||
				doc.PublicKey.ID != actor+"#main-key" || doc.PublicKey.Owner != actor ||
				!strings.HasPrefix(doc.PublicKey.PublicKeyPem, "-----BEGIN PUBLIC KEY-----") {
				t.Errorf("actor %s", r.body)
			}
		}
		if r := get(t, origin+"/.ap/actors/no-such-pod", "application/activity+json"); r.StatusCode != 404 {
			t.Errorf("unknown pod's actor: %d", r.StatusCode)
		}
	})

	// The WebID profile and the actor link to each other.
	requirement(t, "ap-webid-actor-links", func(t *testing.T) {
		profile := strings.TrimSuffix(acct.webID, "#me")
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := srv.doAs(t, nil, m, profile, nil, "Accept", "text/turtle")
			mustStatus(t, r, 200)
			found := false
			for _, f := range r.Header.Values("Link") {
				if strings.Contains(f, `<`+actor+`>; rel="alternate"; type="application/activity+json"`) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s profile: no alternate link to the actor in %v", m, r.Header.Values("Link"))
			}
		}
		r := get(t, actor, "text/html,application/xhtml+xml,*/*;q=0.8")
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != acct.webID {
			t.Errorf("browser at the actor: %d → %q", r.StatusCode, r.Header.Get("Location"))
		}
	})

	// Mastodon: WebFinger of preferredUsername@<host of id> must give back
	// the same id.
	requirement(t, "ap-mastodon-round-trip", func(t *testing.T) {
		var doc struct{ ID, PreferredUsername string }
		if err := json.Unmarshal(get(t, actor, "application/activity+json").body, &doc); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(doc.ID)
		r := get(t, "/.well-known/webfinger?resource="+url.QueryEscape("acct:"+doc.PreferredUsername+"@"+u.Host), "")
		if r.StatusCode != 200 || !strings.Contains(string(r.body), `"href":"`+doc.ID+`"`) {
			t.Errorf("round trip: %s", r)
		}
	})

	requirement(t, "ap-webfinger-bad-resource", func(t *testing.T) {
		for q, want := range map[string]int{
			"":                              400,
			"resource=":                     400,
			"resource=acct:" + name:         400,
			"resource=acct:%zz@" + srv.addr: 400,
			"resource=acct:" + name + "@evil.example":        404,
			"resource=acct:" + name + "@127.0.0.1:1":         404,
			"resource=acct:nobody-here@" + srv.addr:          404,
			"resource=acct:a.b@" + srv.addr:                  404,
			"resource=" + strings.Repeat("x", 2000):          400,
			"resource=" + url.QueryEscape(acct.pod+"inbox/"): 404,
		} {
			if r := get(t, "/.well-known/webfinger?"+q, ""); r.StatusCode != want {
				t.Errorf("%.80s: %d, want %d", q, r.StatusCode, want)
			}
		}
	})

	requirement(t, "ap-nodeinfo", func(t *testing.T) {
		var links struct{ Links []struct{ Rel, Href string } }
		if err := json.Unmarshal(get(t, "/.well-known/nodeinfo", "").body, &links); err != nil || len(links.Links) != 1 ||
			links.Links[0].Rel != "http://nodeinfo.diaspora.software/ns/schema/2.1" {
			t.Fatalf("nodeinfo links %+v (%v)", links, err)
		}
		r := get(t, links.Links[0].Href, "")
		var ni struct {
			Version   string
			Software  struct{ Name, Version string }
			Protocols []string
			Usage     struct{ Users struct{ Total int } }
		}
		if err := json.Unmarshal(r.body, &ni); err != nil || ni.Version != "2.1" || ni.Software.Name != "naamio" ||
			len(ni.Protocols) != 1 || ni.Protocols[0] != "activitypub" || ni.Usage.Users.Total < 1 {
			t.Errorf("nodeinfo %s", r)
		}
	})

	requirement(t, "ap-host-meta", func(t *testing.T) {
		tmpl := origin + "/.well-known/webfinger?resource={uri}"
		r := get(t, "/.well-known/host-meta", "")
		if r.StatusCode != 200 || !strings.Contains(string(r.body), `rel="lrdd"`) || !strings.Contains(string(r.body), tmpl) {
			t.Errorf("host-meta %s", r)
		}
		r = get(t, "/.well-known/host-meta.json", "")
		if r.StatusCode != 200 || !strings.Contains(string(r.body), `"template":"`+tmpl+`"`) {
			t.Errorf("host-meta.json %s", r)
		}
	})
}

// SECURITY row 62 (issue 14; Mastodon CVE-2024-25623 class): a pod user's resource that
// pretends to be an actor or an activity is never stored or served with
// an ActivityStreams media type.
func TestSecurityFederation(t *testing.T) {
	requirement(t, "security-row-62-user-data-never-as2", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir, "text/turtle", nil)
		fake := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + srv.url(dir+"evil") +
			`","type":"Person","inbox":"` + srv.url(dir+"inbox") + `"}`)
		for i, ct := range []string{"application/activity+json", "application/activity+json; charset=utf-8",
			`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
			p := dir + "evil" + string(rune('a'+i))
			if r := srv.do(t, http.MethodPut, p, fake, "Content-Type", ct); r.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("PUT %s: %s, want 415", ct, r)
			}
			if r := srv.do(t, http.MethodPost, dir, fake, "Content-Type", ct, "Slug", "post"); r.StatusCode != http.StatusUnsupportedMediaType {
				t.Errorf("POST %s: %s, want 415", ct, r)
			}
		}
		// Stored as plain JSON, it stays plain JSON: a peer asking for AS2
		// gets no AS2 answer.
		srv.put(t, dir+"evil.json", "application/json", fake)
		for _, accept := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, ""} {
			r := srv.do(t, http.MethodGet, dir+"evil.json", nil, "Accept", accept)
			ct := strings.ToLower(r.Header.Get("Content-Type"))
			if strings.Contains(ct, "activity+json") || strings.Contains(ct, "activitystreams") {
				t.Errorf("Accept %q: served as %q", accept, ct)
			}
		}
	})
}
