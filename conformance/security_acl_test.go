package conformance

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/internal/testissuer"
)

// groupBound is how long a request whose decision needs an unreachable or
// slow agentGroup document may take: the server's group fetch timeout
// (about 3 s) plus ample slack, far below the issuer's stall.
const groupBound = 15 * time.Second

// aclDir makes a fresh container with doc.ttl and writes dir's ACL: the
// owner in control plus extra (acl:accessTo and acl:default <dir> are
// filled in for grants that name neither).
func aclDir(t *testing.T, name string, extra ...grant) (dir, doc string) {
	t.Helper()
	dir = fresh(name)
	doc = dir + "doc.ttl"
	srv.put(t, dir, ctTurtle, nil)
	srv.put(t, doc, ctTurtle, []byte(`@prefix ex: <http://example.org/>. <#s> ex:p "v" .`))
	gs := []grant{ownerGrant(dir)}
	for _, g := range extra {
		if g.accessTo == "" && g.deflt == "" {
			g.accessTo, g.deflt = srv.url(dir), srv.url(dir)
		}
		gs = append(gs, g)
	}
	dirACL, _ := auxOf(t, dir)
	srv.put(t, dirACL, ctTurtle, aclTurtle(gs...))
	return dir, doc
}

func TestSecurityACL(t *testing.T) {
	a, b := agents(t)

	requirement(t, "security-row-20-append-only", func(t *testing.T) {
		dir, doc := aclDir(t, t.Name(), grant{subject: agentSubject(a), modes: "A"})
		docACL, _ := auxOf(t, doc)
		before := srv.snapshot(t, doc)
		expect(t, srv.doAs(t, a, http.MethodPut, doc, []byte(`<#s> <#p> "replaced" .`), "Content-Type", ctTurtle), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodPatch, doc, n3Doc(`solid:deletes { <#s> ex:p "v" }`), "Content-Type", ctN3), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodPatch, doc, n3Doc(`solid:deletes { <#s> ex:p "v" }`, `solid:inserts { <#s> ex:p "w" }`), "Content-Type", ctN3), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodPatch, doc, []byte(`DELETE DATA { <#s> <http://example.org/p> "v" }`), "Content-Type", ctSPARQL), http.StatusForbidden)
		srv.unchanged(t, doc, before, "append-only PUT/PATCH with deletes")
		// POST with an ACL-looking Slug creates no ACL resource.
		kidsBefore := srv.children(t, dir)
		for _, slug := range []string{"x.acl", ".acl", "doc.ttl.acl"} {
			r := srv.doAs(t, a, http.MethodPost, dir, []byte("<#x> <#y> <#z> ."), "Content-Type", ctTurtle, "Slug", slug)
			switch r.StatusCode {
			case http.StatusForbidden:
			case http.StatusCreated:
				// Allowed only as a plain member with a sanitized name (row 6).
				loc := location(t, r)
				if strings.HasSuffix(loc, ".acl") || strings.HasSuffix(loc, "/") {
					t.Errorf("POST Slug %q created %s", slug, loc)
				}
				t.Logf("note: POST Slug %q by an append-only agent → 201 %s (SECURITY row 20 lists 403)", slug, loc)
			default:
				t.Errorf("POST Slug %q: want 403 (or 201 to a plain member), got %s", slug, r)
			}
		}
		expect(t, srv.do(t, http.MethodGet, docACL, nil), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodGet, dir+"x.acl", nil), http.StatusNotFound)
		if kids := srv.children(t, dir); len(kids) < len(kidsBefore) {
			t.Errorf("members lost: %v → %v", kidsBefore, kids)
		}
		// What Append does allow: a PATCH with inserts only, and POST.
		expect(t, srv.doAs(t, a, http.MethodPatch, doc, n3Doc(`solid:inserts { <#s> ex:q "added" }`), "Content-Type", ctN3), updated...)
		expect(t, srv.doAs(t, a, http.MethodPost, dir, []byte("x"), "Content-Type", "text/plain"), created...)
		// An own ACL with Append only on the target: PUT over it is refused too.
		srv.put(t, docACL, ctTurtle, aclTurtle(ownerGrant(doc), grant{subject: agentSubject(a), modes: "A", accessTo: srv.url(doc)}))
		expect(t, srv.doAs(t, a, http.MethodPut, doc, []byte(`<#s> <#p> "replaced" .`), "Content-Type", ctTurtle), http.StatusForbidden)
	})

	requirement(t, "security-row-21-no-existence-leak", func(t *testing.T) {
		// Nobody but the owner may read anything in dir.
		dir, doc := aclDir(t, t.Name())
		srv.put(t, dir+"sub/inner.txt", "text/plain", []byte("inner"))
		srv.put(t, dir+"sub/", ctTurtle, nil)
		// Pairs of the same shape: an existing resource and a missing one.
		pairs := [][2]string{
			{doc, dir + "nope.ttl"},
			{dir + "sub/", dir + "nope/"},
			{dir + "sub/inner.txt", dir + "sub/nope.txt"},
			{dir + "sub/inner.txt", dir + "nope/deeper.txt"},
		}
		headers := []string{"ETag", "Last-Modified", "WWW-Authenticate", "Allow", "Accept-Put", "Accept-Post",
			"Accept-Patch", "WAC-Allow", "Content-Type", "Link"}
		for _, ag := range []*testissuer.Agent{nil, b} {
			wantCode := http.StatusForbidden
			if ag == nil {
				wantCode = http.StatusUnauthorized
			}
			for _, m := range []string{http.MethodGet, http.MethodHead} {
				for _, pair := range pairs {
					var rs [2]*reply
					var norm [2]map[string]string
					for i, p := range pair {
						rs[i] = srv.doAs(t, ag, m, p, nil)
						expect(t, rs[i], wantCode)
						norm[i] = map[string]string{"body": strings.ReplaceAll(string(rs[i].body), srv.url(p), "<p>")}
						for _, h := range headers {
							v := strings.Join(rs[i].Header.Values(h), ", ")
							v = strings.ReplaceAll(v, srv.url(p), "<p>")
							norm[i][h] = strings.ReplaceAll(v, strings.TrimPrefix(p, "/"), "<p>")
						}
						norm[i]["body"] = strings.ReplaceAll(norm[i]["body"], strings.TrimPrefix(p, "/"), "<p>")
					}
					if rs[0].StatusCode != rs[1].StatusCode {
						t.Errorf("%s %s → %d but %s → %d (existence leaks)", m, pair[0], rs[0].StatusCode, pair[1], rs[1].StatusCode)
						continue
					}
					for k, v := range norm[0] {
						if norm[1][k] != v {
							t.Errorf("%s as %v: %s of existing %s is %q, of missing %s is %q (existence leaks)",
								m, ag != nil, k, pair[0], v, pair[1], norm[1][k])
						}
					}
				}
			}
		}
	})

	requirement(t, "security-row-22-stale-acl", func(t *testing.T) {
		// dir gives bob Read by default; doc's own ACL gives alice Read instead.
		_, doc := aclDir(t, t.Name(), grant{subject: agentSubject(b), modes: "R"})
		docACL, _ := auxOf(t, doc)
		srv.put(t, docACL, ctTurtle, aclTurtle(ownerGrant(doc), grant{subject: agentSubject(a), modes: "R", accessTo: srv.url(doc)}))
		expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusOK)
		expect(t, srv.doAs(t, b, http.MethodGet, doc, nil), http.StatusForbidden)
		mustStatus(t, srv.do(t, http.MethodDelete, doc, nil), deleted...)
		expect(t, srv.do(t, http.MethodGet, docACL, nil), http.StatusNotFound)
		srv.put(t, doc, ctTurtle, []byte(`<#s> <#p> "again" .`))
		expect(t, srv.do(t, http.MethodGet, docACL, nil), http.StatusNotFound)
		// Inherits from the parent now: bob reads, alice does not.
		expect(t, srv.doAs(t, b, http.MethodGet, doc, nil), http.StatusOK)
		expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusForbidden)
		// The same for a container that had its own ACL.
		dir2, _ := aclDir(t, t.Name()+"-c", grant{subject: agentSubject(b), modes: "R"})
		sub := dir2 + "sub/"
		srv.put(t, sub, ctTurtle, nil)
		subACL, _ := auxOf(t, sub)
		srv.put(t, subACL, ctTurtle, aclTurtle(ownerGrant(sub), grant{subject: agentSubject(a), modes: "R", accessTo: srv.url(sub), deflt: srv.url(sub)}))
		expect(t, srv.doAs(t, a, http.MethodGet, sub, nil), http.StatusOK)
		mustStatus(t, srv.do(t, http.MethodDelete, sub, nil), deleted...)
		srv.put(t, sub, ctTurtle, nil)
		expect(t, srv.doAs(t, a, http.MethodGet, sub, nil), http.StatusForbidden)
		expect(t, srv.doAs(t, b, http.MethodGet, sub, nil), http.StatusOK)
	})

	requirement(t, "security-row-23-fail-closed", func(t *testing.T) {
		bad := map[string]string{
			"acl:condition": `<#c> a acl:Authorization; acl:agent <%[1]s>; acl:accessTo <%[2]s>; acl:mode acl:Read;
  acl:condition [ a <http://example.org/ClientCondition>; <http://example.org/client> <https://app.example/id> ].`,
			"unknown predicate": `<#c> a acl:Authorization; acl:agent <%[1]s>; acl:accessTo <%[2]s>; acl:mode acl:Read;
  <http://example.org/onlyOnSundays> true.`,
			"unknown acl term": `<#c> a acl:Authorization; acl:agent <%[1]s>; acl:accessTo <%[2]s>; acl:mode acl:Read;
  acl:agentPolicy <http://example.org/p>.`,
			"unknown mode":        `<#c> a acl:Authorization; acl:agent <%[1]s>; acl:accessTo <%[2]s>; acl:mode acl:Read, acl:Frobnicate.`,
			"unknown agent class": `<#c> a acl:Authorization; acl:agentClass <http://example.org/Robots>; acl:agent <%[1]s>; acl:accessTo <%[2]s>; acl:mode acl:Read.`,
		}
		for name, tmpl := range bad {
			t.Run(name, func(t *testing.T) {
				// The parent is public: a fallback would be visible.
				_, doc := aclDir(t, t.Name(), grant{subject: publicSubject, modes: "R"})
				docACL, _ := auxOf(t, doc)
				body := string(ownerACL(doc)) + fmt.Sprintf(tmpl, a.WebID, srv.url(doc)) + "\n"
				if checkBadACLWrite(t, doc, docACL, srv.do(t, http.MethodPut, docACL, []byte(body), "Content-Type", ctTurtle), "PUT") {
					return // stored and denying everyone, the owner included
				}
				// The same construct patched into a valid ACL.
				srv.put(t, docACL, ctTurtle, aclTurtle(ownerGrant(doc), grant{subject: agentSubject(a), modes: "R", accessTo: srv.url(doc)}))
				expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusOK)
				filled := fmt.Sprintf(tmpl, a.WebID, srv.url(doc))
				n3 := append([]byte("@prefix acl: <"+aclNS+">.\n"), n3Doc("solid:inserts { "+filled+" }")...)
				if checkBadACLWrite(t, doc, docACL, srv.do(t, http.MethodPatch, docACL, n3, "Content-Type", ctN3), "N3 PATCH") {
					return
				}
				expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusOK)
				sparql := "PREFIX acl: <" + aclNS + ">\nINSERT DATA { " + filled + " }"
				checkBadACLWrite(t, doc, docACL, srv.do(t, http.MethodPatch, docACL, []byte(sparql), "Content-Type", ctSPARQL), "SPARQL PATCH")
			})
		}
		t.Run("unparsable", func(t *testing.T) {
			_, doc := aclDir(t, t.Name(), grant{subject: publicSubject, modes: "R"})
			docACL, _ := auxOf(t, doc)
			for _, body := range []string{`@prefix acl: <` + aclNS + `>. <#c> a acl:Authorization; acl:mode`, "<<<<", "\xff\xfe"} {
				r := srv.do(t, http.MethodPut, docACL, []byte(body), "Content-Type", ctTurtle)
				if r.StatusCode/100 == 2 {
					want401(t, srv.doAs(t, nil, http.MethodGet, doc, nil))
					expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusForbidden)
					continue
				}
				expect(t, r, http.StatusBadRequest, http.StatusUnprocessableEntity)
				expect(t, srv.do(t, http.MethodGet, docACL, nil), http.StatusNotFound)
			}
		})
		t.Run("bad container ACL", func(t *testing.T) {
			// A broken ACL on a container denies its members too, never
			// falling back to the root ACL.
			dir, doc := aclDir(t, t.Name(), grant{subject: publicSubject, modes: "R"})
			dirACL, _ := auxOf(t, dir)
			body := string(aclTurtle(ownerGrant(dir), grant{subject: publicSubject, modes: "R", accessTo: srv.url(dir), deflt: srv.url(dir)})) +
				"<#auth2> acl:condition [ a <http://example.org/IssuerCondition> ].\n"
			r := srv.do(t, http.MethodPut, dirACL, []byte(body), "Content-Type", ctTurtle)
			if r.StatusCode/100 != 2 {
				expect(t, r, http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity)
				// Refused: the old ACL (public Read) still decides.
				expect(t, srv.doAs(t, nil, http.MethodGet, doc, nil), http.StatusOK)
				return
			}
			want401(t, srv.doAs(t, nil, http.MethodGet, doc, nil))
			want401(t, srv.doAs(t, nil, http.MethodGet, dir, nil))
			expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusForbidden)
		})
	})

	requirement(t, "security-row-24-agent-group-fetch", func(t *testing.T) {
		internal := newCountingListener(t)
		_, port, _ := net.SplitHostPort(internal.ln.Addr().String())
		groups := map[string]string{
			"private 10/8":      "http://10.0.0.1/g#g",
			"link-local":        "http://169.254.169.254/latest/g#g",
			"loopback port":     internal.url() + "/g#g",
			"loopback https":    "https://127.0.0.1:" + port + "/g#g",
			"mapped loopback":   "http://[::ffff:127.0.0.1]:" + port + "/g#g",
			"localhost name":    "http://localhost:" + port + "/g#g",
			"issuer other port": "http://127.0.0.1:" + port + "/groups/team#g",
		}
		issuer.Handle("/slow-group", testissuer.Stall(time.Minute, "text/turtle",
			"@prefix vcard: <"+vcardNS+">. <#g> vcard:hasMember <"+a.WebID+">."))
		groups["slow host"] = issuer.URL() + "/slow-group#g"
		for name, g := range groups {
			t.Run(name, func(t *testing.T) {
				_, doc := aclDir(t, t.Name(), grant{subject: "acl:agentGroup <" + g + ">", modes: "R"})
				start := time.Now()
				r, err := srv.tryAs(a, http.MethodGet, doc, nil)
				took := time.Since(start)
				if err != nil {
					t.Fatalf("GET: %v after %v", err, took)
				}
				expect(t, r, http.StatusForbidden)
				if took > groupBound {
					t.Errorf("decision took %v (bound %v)", took, groupBound)
				}
			})
		}
		if n := internal.count(); n != 0 {
			t.Errorf("%d connections reached the internal listener", n)
		}
		// The server still serves others.
		expect(t, srv.do(t, http.MethodGet, "/", nil), http.StatusOK)
	})

	requirement(t, "security-row-25-odd-origin", func(t *testing.T) {
		_, doc := aclDir(t, t.Name(),
			grant{subject: agentSubject(a), modes: "R", extra: "acl:origin <" + appOrigin + ">"},
			grant{subject: "acl:origin <" + appOrigin + ">", modes: "R"})
		// Controls: the listed origin works for alice, and for anyone by
		// the origin-only Authorization.
		expect(t, srv.doAs(t, a, http.MethodGet, doc, nil, "Origin", appOrigin), http.StatusOK)
		expect(t, srv.doAs(t, nil, http.MethodGet, doc, nil, "Origin", appOrigin), http.StatusOK)
		odd := []string{"null", "garbage", "https://app.example.evil", "http://app.example", "https://app.example:444",
			"https://app.example/", "https://app.example/path", "https://user@app.example", "https://app.example#f",
			"https://app.example?q", "https://app.example, https://app.example",
			"*", "file://", "https://", strings.Repeat("o", 8000)}
		for _, o := range odd {
			r := srv.doAs(t, a, http.MethodGet, doc, nil, "Origin", o)
			if r.StatusCode >= 500 {
				t.Errorf("Origin %.60q: %s", o, r)
			}
			if r.StatusCode == http.StatusOK {
				t.Errorf("Origin %.60q matched the origin rule: %s", o, r)
			}
			r = srv.doAs(t, nil, http.MethodGet, doc, nil, "Origin", o)
			if r.StatusCode >= 500 || r.StatusCode == http.StatusOK {
				t.Errorf("anonymous, Origin %.60q: %s", o, r)
			}
		}
	})

	requirement(t, "security-row-26-acl-write-needs-control", func(t *testing.T) {
		dir, doc := aclDir(t, t.Name(), grant{subject: agentSubject(a), modes: "RWA"})
		docACL, _ := auxOf(t, doc)
		dirACL, _ := auxOf(t, dir)
		open := aclTurtle(grant{subject: publicSubject, modes: "RWAC", accessTo: srv.url(doc)})
		expect(t, srv.doAs(t, a, http.MethodPut, docACL, open, "Content-Type", ctTurtle), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodPatch, docACL, n3Doc(`solid:inserts { <#p> a <`+aclNS+`Authorization>; <`+aclNS+`agentClass> <`+foafAgent+`>; <`+aclNS+`accessTo> <doc.ttl>; <`+aclNS+`mode> <`+aclNS+`Control> }`), "Content-Type", ctN3), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodPatch, docACL, []byte(`INSERT DATA { <#p> <`+aclNS+`mode> <`+aclNS+`Control> }`), "Content-Type", ctSPARQL), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodPut, dirACL, open, "Content-Type", ctTurtle), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodDelete, dirACL, nil), http.StatusForbidden)
		want401(t, srv.doAs(t, nil, http.MethodPut, docACL, open, "Content-Type", ctTurtle))
		for _, slug := range []string{"doc.ttl.acl", ".acl", "x.acl"} {
			r := srv.doAs(t, a, http.MethodPost, dir, open, "Content-Type", ctTurtle, "Slug", slug)
			if r.StatusCode == http.StatusCreated {
				if loc := location(t, r); strings.HasSuffix(loc, ".acl") {
					t.Errorf("POST Slug %q created %s", slug, loc)
				}
			} else {
				expect(t, r, http.StatusForbidden)
			}
		}
		expect(t, srv.do(t, http.MethodGet, docACL, nil), http.StatusNotFound)
		g, _ := srv.fetchGraph(t, dirACL)
		if g.has(term{}, iri(aclNS+"agentClass"), iri(foafAgent)) {
			t.Errorf("the container's ACL was opened:\n%s", g)
		}
		// alice's own access is unchanged: she still cannot read the ACL.
		expect(t, srv.doAs(t, a, http.MethodGet, dirACL, nil), http.StatusForbidden)
	})
}

// checkBadACLWrite checks the outcome of writing an ACL with a construct
// the server cannot honour to docACL (doc's ACL; its parent grants the
// public Read; before the write, docACL either was absent or granted alice
// Read). Refusing the write (400/409/422) keeps the previous decisions;
// storing it must deny everyone, never falling back to the parent or to
// public access. It reports whether the ACL was stored.
func checkBadACLWrite(t *testing.T, doc, docACL string, r *reply, what string) bool {
	t.Helper()
	a, b := agents(t)
	if r.StatusCode/100 != 2 {
		expect(t, r, http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity)
		t.Logf("note: %s of an unusable ACL refused with %d", what, r.StatusCode)
		return false
	}
	want401(t, srv.doAs(t, nil, http.MethodGet, doc, nil))
	expect(t, srv.doAs(t, a, http.MethodGet, doc, nil), http.StatusForbidden)
	expect(t, srv.doAs(t, b, http.MethodGet, doc, nil), http.StatusForbidden)
	expect(t, srv.doAs(t, a, http.MethodPut, doc, []byte("x"), "Content-Type", "text/plain"), http.StatusForbidden)
	return true
}
