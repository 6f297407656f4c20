package ldp_test

import (
	"strings"
	"testing"

	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp/ldptest"
)

// Issue 10 item 5 (SECURITY row 21 for every method): an agent who may not
// Read a resource learns nothing of whether it exists from any method. For
// each combination of modes without Read, every probe that leaves the
// resource as it is (a refusal) answers a missing and an existing target
// alike: status and the headers that describe the target.
func TestNoExistenceLeakWithoutRead(t *testing.T) {
	p := newAccessPod(t)
	o := p.owner
	p.must(t, o, "PUT", "/c/doc", "text/turtle", "<#s> <#p> <#o> .", 201)
	p.must(t, o, "PUT", "/c/bin", "text/plain", "x", 201)
	p.must(t, o, "PUT", "/c/full/x", "text/plain", "x", 201)
	p.must(t, o, "PUT", "/c/empty/", "text/turtle", "", 201)

	const insert = "@prefix solid: <http://www.w3.org/ns/solid/terms#> . _:p a solid:InsertDeletePatch ; solid:inserts { <#s> <#p> <#new> . } ."
	// Each probe is sent to an existing target and to a missing one; none
	// of them changes anything when refused.
	type probe struct {
		name, method, ct, body string
		header                 []string
		existing, missing      string
	}
	probes := []probe{
		{"GET", "GET", "", "", nil, "/c/doc", "/c/gone"},
		{"HEAD", "HEAD", "", "", nil, "/c/doc", "/c/gone"},
		{"GET container", "GET", "", "", nil, "/c/empty/", "/c/none/"},
		{"OPTIONS", "OPTIONS", "", "", nil, "/c/doc", "/c/gone"},
		{"OPTIONS binary", "OPTIONS", "", "", nil, "/c/bin", "/c/gone"},
		{"OPTIONS container", "OPTIONS", "", "", nil, "/c/empty/", "/c/none/"},
		{"DELETE stale If-Match", "DELETE", "", "", []string{"If-Match", `"stale"`}, "/c/doc", "/c/gone"},
		{"DELETE If-None-Match *", "DELETE", "", "", []string{"If-None-Match", "*"}, "/c/doc", "/c/gone"},
		{"DELETE non-empty container", "DELETE", "", "", nil, "/c/full/", "/c/none/"},
		{"PUT stale If-Match", "PUT", "text/turtle", "<#a> <#b> <#c> .", []string{"If-Match", `"stale"`}, "/c/doc", "/c/gone"},
		{"PUT binary stale If-Match", "PUT", "text/plain", "y", []string{"If-Match", `"stale"`}, "/c/bin", "/c/gone"},
		{"PUT slash twin, stale If-Match", "PUT", "text/plain", "y", []string{"If-Match", `"stale"`}, "/c/empty", "/c/none"},
		{"PUT description of a missing subject", "PUT", "text/turtle", "<#a> <#b> <#c> .", []string{"If-Match", `"stale"`}, "/c/doc.meta", "/c/gone.meta"},
		{"POST to a document", "POST", "text/turtle", "<#a> <#b> <#c> .", nil, "/c/doc", "/c/gone"},
		{"POST to a binary", "POST", "text/plain", "y", nil, "/c/bin", "/c/gone"},
		{"PATCH stale If-Match", "PATCH", "text/n3", insert, []string{"If-Match", `"stale"`}, "/c/doc", "/c/gone"},
		{"PATCH binary stale If-Match", "PATCH", "text/n3", insert, []string{"If-Match", `"stale"`}, "/c/bin", "/c/gone"},
		{"PATCH description, stale If-Match", "PATCH", "text/n3", insert, []string{"If-Match", `"stale"`}, "/c/doc.meta", "/c/gone.meta"},
	}
	described := []string{"Allow", "Accept-Put", "Accept-Patch", "Accept-Post", "Link", "ETag", "Last-Modified", "Content-Type", "WWW-Authenticate"}

	combos := []struct{ name, who, modes string }{
		{"nothing", "", ""},
		{"append", "agent", "acl:Append"},
		{"write", "agent", "acl:Write"},
		{"append write", "agent", "acl:Append, acl:Write"},
		{"control", "agent", "acl:Control"},
		{"append control", "agent", "acl:Append, acl:Control"},
		{"write control", "agent", "acl:Write, acl:Control"},
		{"public append write", "public", "acl:Append, acl:Write"},
	}
	for _, c := range combos {
		t.Run(c.name, func(t *testing.T) {
			acl := aclPrefix + `<#owner> a acl:Authorization ; acl:agent <` + o.WebID + `> ; acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`
			var agent *testissuer.Agent = p.other
			switch c.who {
			case "agent":
				acl += "\n<#g> a acl:Authorization ; acl:agent <" + p.other.WebID + "> ; acl:accessTo <./> ; acl:default <./> ; acl:mode " + c.modes + " ."
			case "public":
				acl += "\n<#g> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:accessTo <./> ; acl:default <./> ; acl:mode " + c.modes + " ."
				agent = nil
			}
			if r, b := p.as(t, o, "PUT", "/c/.acl", "text/turtle", acl); r.StatusCode != 201 && r.StatusCode != 204 {
				t.Fatalf("PUT /c/.acl = %d %s", r.StatusCode, b)
			}
			for _, pr := range probes {
				t.Run(pr.name, func(t *testing.T) {
					re, be := ldptest.Send(t, agent, pr.method, p.srv.URL+pr.existing, pr.ct, pr.body, pr.header...)
					rm, bm := ldptest.Send(t, agent, pr.method, p.srv.URL+pr.missing, pr.ct, pr.body, pr.header...)
					if re.StatusCode >= 500 || rm.StatusCode >= 500 {
						t.Fatalf("5xx: existing %d %s, missing %d %s", re.StatusCode, be, rm.StatusCode, bm)
					}
					if re.StatusCode != rm.StatusCode {
						t.Fatalf("%s %s = %d (%s) but %s = %d (%s)", pr.method, pr.existing, re.StatusCode, strings.TrimSpace(be),
							pr.missing, rm.StatusCode, strings.TrimSpace(bm))
					}
					for _, h := range described {
						if ge, gm := re.Header.Get(h), rm.Header.Get(h); strings.ReplaceAll(ge, pr.existing, pr.missing) != gm {
							t.Errorf("%s: %q for the existing target, %q for the missing one", h, ge, gm)
						}
					}
				})
			}
			// Nothing was changed by the probes.
			for _, path := range []string{"/c/doc", "/c/bin", "/c/full/x", "/c/empty/"} {
				p.must(t, o, "HEAD", path, "", "", 200)
			}
			for _, path := range []string{"/c/gone", "/c/none/", "/c/gone.meta"} {
				p.must(t, o, "HEAD", path, "", "", 404)
			}
		})
	}

	// The case: with Write but no Read, DELETE of a missing
	// resource is refused like any other; with Read too, it is a 404.
	p.must(t, o, "PUT", "/c/.acl", "text/turtle", p.grant("", "acl:agent <"+p.other.WebID+">", "acl:Write"), 204)
	p.must(t, p.other, "DELETE", "/c/gone", "", "", 403)
	p.must(t, p.other, "POST", "/c/none/", "text/turtle", "<#a> <#b> <#c> .", 403)
	p.must(t, p.other, "DELETE", "/c/doc", "", "", 204)
	p.must(t, o, "PUT", "/c/.acl", "text/turtle", p.grant("", "acl:agent <"+p.other.WebID+">", "acl:Read, acl:Write"), 204)
	p.must(t, p.other, "DELETE", "/c/gone", "", "", 404)
	p.must(t, p.other, "POST", "/c/none/", "text/turtle", "<#a> <#b> <#c> .", 404)
	p.must(t, p.other, "POST", "/c/bin", "text/plain", "y", 405)
	p.must(t, p.other, "DELETE", "/c/full/", "", "", 409)
}
