package conformance

import (
	"net/http"
	"testing"
)

// Interoperability findings of issue 10 (items 12–15), found by comparing
// the server request by request with the Community Solid Server.
func TestInterop(t *testing.T) {
	dir := fresh(t.Name())
	pub := dir + "public.ttl"
	srv.put(t, pub, ctTurtle, []byte(`<#s> <#p> "public" .`))
	acl, _ := auxOf(t, dir)
	srv.put(t, acl, ctTurtle,
		aclTurtle(ownerGrant(dir), grant{subject: publicSubject, modes: "R", accessTo: srv.url(dir), deflt: srv.url(dir)}))

	// Issue 10 item 12: "Authorization: DPoP" without a token and an empty
	// DPoP header (sent by some clients when nobody is logged in) is an
	// anonymous request, as the reference server treats it: public data
	// is served, private data gets the same 401 as a request without them.
	requirement(t, "interop-empty-dpop-is-anonymous", func(t *testing.T) {
		for name, kv := range map[string][]string{
			"DPoP, empty proof":   {"Authorization", "DPoP", "DPoP", ""},
			"DPoP only":           {"Authorization", "DPoP"},
			"empty Authorization": {"Authorization", "", "DPoP", ""},
		} {
			r := srv.doAs(t, nil, http.MethodGet, pub, nil, kv...)
			if !expect(t, r, http.StatusOK) {
				t.Logf("case %s", name)
			}
			r = srv.doAs(t, nil, http.MethodGet, dir+"missing-private", nil, kv...)
			plain := srv.doAs(t, nil, http.MethodGet, dir+"missing-private", nil)
			if r.StatusCode != plain.StatusCode || r.Header.Get("WWW-Authenticate") != plain.Header.Get("WWW-Authenticate") {
				t.Errorf("case %s: %d %q, without the headers %d %q", name, r.StatusCode,
					r.Header.Get("WWW-Authenticate"), plain.StatusCode, plain.Header.Get("WWW-Authenticate"))
			}
		}
		// A token or proof that is present is still checked.
		want401(t, srv.doAs(t, nil, http.MethodGet, pub, nil, "Authorization", "DPoP not-a-token", "DPoP", ""))
	})

	// Issue 10 item 13: JSON-LD with named graphs is accepted on PUT and
	// POST (Solid Protocol server-representation-turtle-jsonld, and the reference
	// server stores it). A resource is one graph here: the default graph
	// and every named graph's triples are stored together, in every
	// representation.
	requirement(t, "interop-jsonld-named-graphs", func(t *testing.T) {
		const doc = `{
		  "@context": {"ex": "http://example.org/ns/"},
		  "@id": "ex:test", "@type": "ex:Graph",
		  "@graph": [{"@id": "ex:naughty", "@type": "ex:Trial"},
		             {"@id": "ex:other", "ex:p": "in a named graph"}]
		}`
		const ex = "http://example.org/ns/"
		want := []triple{
			{iri(ex + "test"), iri(rdfType), iri(ex + "Graph")},
			{iri(ex + "naughty"), iri(rdfType), iri(ex + "Trial")},
			{iri(ex + "other"), iri(ex + "p"), lit("in a named graph")},
		}
		check := func(t *testing.T, p string) {
			for _, ct := range []string{ctNTriples, ctTurtle, ctJSONLD} {
				r := srv.do(t, http.MethodGet, p, nil, "Accept", ct)
				mustStatus(t, r, http.StatusOK)
				g, err := parseAs(r)
				if err != nil {
					t.Fatalf("GET %s as %s: %v\n%s", p, ct, err, r.body)
				}
				for _, tr := range want {
					if !g.has(tr.s, tr.p, tr.o) {
						t.Errorf("GET %s as %s: missing %v in\n%v", p, ct, tr, g)
					}
				}
				if len(g) != len(want) {
					t.Errorf("GET %s as %s: %d triples, want %d:\n%v", p, ct, len(g), len(want), g)
				}
			}
		}
		r := srv.do(t, http.MethodPut, dir+"graphs.jsonld", []byte(doc), "Content-Type", ctJSONLD)
		mustStatus(t, r, http.StatusCreated)
		check(t, dir+"graphs.jsonld")
		r = srv.do(t, http.MethodPost, dir, []byte(doc), "Content-Type", ctJSONLD, "Slug", "posted-graphs")
		mustStatus(t, r, http.StatusCreated)
		loc := r.Header.Get("Location")
		if loc == "" {
			t.Fatal("POST: no Location")
		}
		check(t, loc)
	})

	// Issue 10 item 14.
	requirement(t, "interop-preflight-exposes-headers", func(t *testing.T) {
		r := srv.do(t, http.MethodOptions, pub, nil, "Origin", testOrigin, "Access-Control-Request-Method", "PUT")
		mustStatus(t, r, optionsO...)
		exposed := tokens(r.Header, "Access-Control-Expose-Headers")
		for _, h := range interopExposed {
			if !exposed[h] {
				t.Errorf("preflight does not expose %s: %v", h, r.Header.Values("Access-Control-Expose-Headers"))
			}
		}
	})

	// Issue 10 item 15: SolidOS fetches the discovery document with
	// credentials; "*" would make the browser refuse the answer.
	requirement(t, "interop-provider-documents-credentialed-cors", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/.well-known/openid-configuration"},
			{http.MethodGet, "/.oidc/jwks"},
			{http.MethodOptions, "/.well-known/openid-configuration"},
		} {
			kv := []string{"Origin", testOrigin}
			if c.method == http.MethodOptions {
				kv = append(kv, "Access-Control-Request-Method", "GET")
			}
			r := srv.doAs(t, nil, c.method, c.path, nil, kv...)
			mustStatus(t, r, http.StatusOK, http.StatusNoContent)
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != testOrigin {
				t.Errorf("%s %s: Access-Control-Allow-Origin %q, want %q", c.method, c.path, got, testOrigin)
			}
			if r.Header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Errorf("%s %s: no Access-Control-Allow-Credentials: true", c.method, c.path)
			}
			if !tokens(r.Header, "Vary")["origin"] {
				t.Errorf("%s %s: Vary lacks Origin: %v", c.method, c.path, r.Header.Values("Vary"))
			}
		}
	})
}
