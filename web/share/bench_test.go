package share

import (
	"net/http"
	"testing"
)

// BenchmarkSharePage renders the sharing page of a folder that inherits
// from an ancestor: in-process reads through the LDP handler as the person
// (HEAD of the folder, its missing ACL, HEAD and ACL of the parent) and
// the model.
func BenchmarkSharePage(b *testing.B) {
	tp := newTestPods(b, nil)
	tp.acl(b, "/alice/photos/.acl", `
<#owner> a acl:Authorization; acl:agent <`+alice+`>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.
<#pub> a acl:Authorization; acl:agentClass foaf:Agent; acl:default <./>; acl:mode acl:Read.`)
	target := shareURL(base + "alice/photos/2026/")
	b.ReportAllocs()
	for b.Loop() {
		if p := get(b, tp.h.ServeShare, target, alice); p.status != http.StatusOK {
			b.Fatalf("status %d", p.status)
		}
	}
}
