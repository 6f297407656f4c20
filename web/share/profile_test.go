package share

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/naamio/naamio/rdf"
)

// Issue 15 item 1 (profile): the owner's name, bio and photo, the editor
// only for whoever may write the profile, what anyone reads of it, and
// what Fediverse peers see (the server's actor view). Profile text is
// rendered as text; a photo is shown only from this server, a photo
// address on another server is a link, anything else nothing.
func TestProfilePage(t *testing.T) {
	tp := newTestPods(t, func(o *Options) {
		o.Actor = func(_ context.Context, pod string) (ActorView, bool) {
			return ActorView{Handle: "acct:" + pod + "@pod.example", Actor: base + ".ap/actors/" + pod, Name: "Alice <i>A</i>"}, pod == "alice"
		}
	})
	tp.put(t, "/alice/profile/card", rdf.MediaTurtle, `@prefix foaf: <http://xmlns.com/foaf/0.1/>. @prefix vcard: <http://www.w3.org/2006/vcard/ns#>.
<#me> a foaf:Person; foaf:name "Alice <script>alert(1)</script>"; vcard:note "Grows <b>beans</b>";
  vcard:hasPhoto <https://pod.example/alice/profile/me.png>.`)
	tp.acl(t, "/alice/profile/card.acl", `
<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <card>; acl:mode acl:Read, acl:Write, acl:Control.
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <card>; acl:mode acl:Read.`)

	p := get(t, tp.h.ServeProfile, ProfilePath+"?pod=alice", alice)
	if p.status != http.StatusOK {
		t.Fatalf("status %d\n%s", p.status, p.body)
	}
	for _, want := range []string{"Alice &lt;script&gt;alert(1)&lt;/script&gt;", "Grows &lt;b&gt;beans&lt;/b&gt;",
		`<img class="profile-photo" src="https://pod.example/alice/profile/me.png"`, `id="profile-name"`,
		`id="public-view"`, "acct:alice@pod.example", "Alice &lt;i&gt;A&lt;/i&gt;", `src="` + base + `.web/static/profile.js`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("profile page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "<script>alert") {
		t.Fatal("profile text rendered as markup")
	}
	// Someone else sees the public profile and no editor.
	p = get(t, tp.h.ServeProfile, ProfilePath+"?pod=alice", carol)
	if p.status != http.StatusOK || strings.Contains(p.body, `id="profile-name"`) || !strings.Contains(p.body, `id="public-view"`) {
		t.Fatalf("another person: %d\n%s", p.status, p.body)
	}

	// A photo elsewhere is a link; a javascript: one is nothing.
	for photo, want := range map[string]string{
		"https://cdn.example/alice.png": `<a href="https://cdn.example/alice.png">`,
		"javascript:alert(1)":           "No photo yet.",
	} {
		tp.put(t, "/alice/profile/card", rdf.MediaTurtle, `<#me> <http://xmlns.com/foaf/0.1/img> <`+photo+`>.`)
		p = get(t, tp.h.ServeProfile, ProfilePath+"?pod=alice", alice)
		if !strings.Contains(p.body, want) || strings.Contains(p.body, `src="`+photo) || strings.Contains(p.body, `href="javascript:`) {
			t.Errorf("photo %s: page lacks %q or shows it as an image", photo, want)
		}
	}
}

// Bad input: pod names that are no pod of this server.
func TestProfilePageBadInput(t *testing.T) {
	tp := newTestPods(t, nil)
	for _, pod := range []string{"", "bob", "../alice", "alice/", "<script>", strings.Repeat("a", 70), "ALICE%00", "alice\x00"} {
		p := get(t, tp.h.ServeProfile, ProfilePath+"?pod="+url.QueryEscape(pod), alice)
		if p.status != http.StatusNotFound || strings.Contains(p.body, "<script>") {
			t.Errorf("pod %q: %d", pod, p.status)
		}
	}
	if p := get(t, tp.h.ServeProfile, ProfilePath+"?pod=alice", ""); p.status != http.StatusSeeOther {
		t.Errorf("anonymous: %d", p.status)
	}
}
