package share

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var modelRe = regexp.MustCompile(`data-model="([^"]*)"`)

func editorOf(t *testing.T, body string) editorModel {
	t.Helper()
	m := modelRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no editor model in\n%s", body)
	}
	var ed editorModel
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &ed); err != nil {
		t.Fatal(err)
	}
	return ed
}

// Issue 15 item 1 (sharing): the owner sees a folder's own ACL, read as
// her through the LDP handler: who, which modes, what it applies to, and
// the editor's model with the ACL URL (Link rel=acl) and its ETag.
func TestSharePageOwnACL(t *testing.T) {
	tp := newTestPods(t, nil)
	tp.acl(t, "/alice/photos/.acl", `
<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#bob> a acl:Authorization; acl:agent <https://bob.example/profile/card#me>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.`)
	p := get(t, tp.h.ServeShare, shareURL(base+"alice/photos/"), alice)
	if p.status != http.StatusOK {
		t.Fatalf("status %d\n%s", p.status, p.body)
	}
	for _, want := range []string{"https://bob.example/profile/card#me", "this folder and everything in it",
		`<span class="tag">you</span>`, `<span class="tag">owner</span>`, `src="` + base + `.web/static/share.js`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(p.body, `class="tag inherited"`) || strings.Contains(p.body, `id="inherited-note"`) {
		t.Error("own ACL shown as inherited")
	}
	ed := editorOf(t, p.body)
	if ed.ACL != base+"alice/photos/.acl" || ed.ETag == "" || ed.Inherited || !ed.Container || ed.Owner != alice || ed.Editor != alice || len(ed.Entries) != 2 {
		t.Fatalf("editor model %+v", ed)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
}

// A folder without an ACL of its own shows the acl:default rules of the
// nearest ancestor that has one, marked inherited and saying from where;
// the editor will write with If-None-Match: * (breaking inheritance).
func TestSharePageInherited(t *testing.T) {
	tp := newTestPods(t, nil)
	tp.acl(t, "/alice/photos/.acl", `
<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#self> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Read.
<#inside> a acl:Authorization; acl:agentClass acl:AuthenticatedAgent; acl:default <./>; acl:mode acl:Append.`)
	p := get(t, tp.h.ServeShare, shareURL(base+"alice/photos/2026/"), alice)
	if p.status != http.StatusOK {
		t.Fatalf("status %d\n%s", p.status, p.body)
	}
	for _, want := range []string{`id="inherited-note"`, `<a href="` + base + `alice/photos/"><code>`, "Anyone logged in", "inherited"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "<th scope=\"row\">Everyone (public)") {
		t.Error("the ancestor's accessTo-only rule is shown as inherited")
	}
	ed := editorOf(t, p.body)
	if !ed.Inherited || ed.ETag != "" || ed.ACL != base+"alice/photos/2026/.acl" {
		t.Fatalf("editor %+v", ed)
	}
	want := []Entry{
		{Kind: KindAuthenticated, Modes: []string{"Append"}, Self: true, Members: true},
		{Kind: KindAgent, IRI: alice, Modes: []string{"Read", "Write", "Control"}, Self: true, Members: true},
	}
	if len(ed.Entries) != 2 || ed.Entries[0].Kind != want[0].Kind || ed.Entries[1].IRI != alice {
		t.Fatalf("entries %+v", ed.Entries)
	}
}

// Only someone with Control sees the sharing (WAC decides as that
// person); others get the 403 page, the anonymous go to log in.
func TestSharePageNeedsControl(t *testing.T) {
	tp := newTestPods(t, nil)
	tp.acl(t, "/alice/photos/.acl", `
<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#carol> a acl:Authorization; acl:agent <`+carol+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write.`)
	for _, target := range []string{base + "alice/photos/", base + "alice/photos/2026/", base + "alice/"} {
		if p := get(t, tp.h.ServeShare, shareURL(target), carol); p.status != http.StatusForbidden || strings.Contains(p.body, alice) {
			t.Errorf("%s as carol: %d\n%s", target, p.status, p.body)
		}
	}
	if p := get(t, tp.h.ServeShare, shareURL(base+"alice/nothing/"), alice); p.status != http.StatusNotFound {
		t.Errorf("missing resource: %d", p.status)
	}
	p := get(t, tp.h.ServeShare, shareURL(base+"alice/photos/"), "")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/.idp/login?next=%2F.web%2Fshare") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}
}

// Bad input (issue 15; SECURITY rows 1, 23, 58): resource parameters that
// are not this server's URLs; ACLs with terms the page cannot edit are
// shown as Turtle and refused clearly; hostile IRIs in an ACL are
// rendered as text, never markup.
func TestSharePageBadInput(t *testing.T) {
	tp := newTestPods(t, nil)
	for _, res := range []string{"", "javascript:alert(1)", "https://evil.example/alice/", "http://pod.example/alice/",
		"https://user@pod.example/alice/", base + "alice/?x=1", base + "alice/#frag", base + strings.Repeat("a", 3000),
		"data:text/html,<script>alert(1)</script>", "/alice/", "https://pod.example.evil.example/",
		"https://a;script-src *.pod.example/", "https://a%20b.pod.example/", "https://a.b.pod.example/", "https://[::1].pod.example/"} {
		if p := get(t, tp.h.ServeShare, shareURL(res), alice); p.status != http.StatusBadRequest {
			t.Errorf("resource %.60q: %d", res, p.status)
		}
	}

	tp.acl(t, "/alice/photos/.acl", `
<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#x> a acl:Authorization; acl:agent <javascript:alert(1)>, <https://evil.example/'onmouseover='alert(1)>; acl:accessTo <./>; acl:mode acl:Read.`)
	p := get(t, tp.h.ServeShare, shareURL(base+"alice/photos/"), alice)
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	if strings.Contains(p.body, `href="javascript:`) || strings.Contains(p.body, "'onmouseover='") {
		t.Fatalf("hostile IRI rendered as active markup:\n%s", p.body)
	}
	if !strings.Contains(p.body, "javascript:alert(1)</th>") && !strings.Contains(p.body, "javascript:alert(1)\n") {
		t.Logf("%s", p.body)
	}

	// An ACL the evaluator cannot honour (stored behind the server's back:
	// ldp refuses to store one) fails closed for everyone, its owner
	// included (SECURITY row 23): the page says so and shows nothing of it.
	tp.acl(t, "/alice/photos/2026/.acl", `
<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:mode acl:Read, acl:Write, acl:Control; acl:condition <#c>.`)
	p = get(t, tp.h.ServeShare, shareURL(base+"alice/photos/2026/"), alice)
	if p.status != http.StatusForbidden || strings.Contains(p.body, "condition") {
		t.Fatalf("unusable ACL: %d\n%s", p.status, p.body)
	}
}

// A subdomain pod's resource: the page lets its script write the ACL on
// that origin (connect-src), and nothing else.
func TestSharePageSubdomainConnect(t *testing.T) {
	tp := newTestPods(t, nil)
	// The test store has no subdomain pods (this answer is a 404 page);
	// its headers are the ones the sharing page gets.
	p := get(t, tp.h.ServeShare, shareURL("https://alice.pod.example/photos/"), alice)
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://alice.pod.example;") {
		t.Fatalf("CSP %q", csp)
	}
	p = get(t, tp.h.ServeShare, shareURL(base+"alice/photos/"), alice)
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self';") {
		t.Fatalf("CSP %q", csp)
	}
}
