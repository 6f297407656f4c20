package server

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/ldptest"
)

// Issue 16 item 3: the owner downloads their own pod as a zip from the
// account page, through the page session, only as a top-level navigation
// (never to a script, a subresource or another site, nor for another
// person's pod), and the zip holds what the owner may read.
func TestPodZipDownload(t *testing.T) {
	s, base := serveAccounts(t, "alice", "bob")
	alice := sessionCookie(t, s, "alice@example.org")
	bob := sessionCookie(t, s, "bob@example.org")
	ctx := context.Background()
	if _, _, err := s.store.Put(ctx, ldp.PutRequest{Path: "/alice/notes", ContentType: "text/plain", Body: strings.NewReader("milk")}); err != nil {
		t.Fatal(err)
	}
	// A document alice gave away entirely: bob's alone, not even alice's Read.
	if _, _, err := s.store.Put(ctx, ldp.PutRequest{Path: "/alice/secret", ContentType: "text/plain", Body: strings.NewReader("bob's")}); err != nil {
		t.Fatal(err)
	}
	ldptest.WriteACL(t, s.store, base, "/alice/secret.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#b> a acl:Authorization ; acl:agent <`+base+`bob/profile/card#me> ; acl:accessTo <secret> ; acl:mode acl:Read .`)

	nav := map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "same-origin"}
	a := getPage(t, base, "/.web/export?pod=alice", nav, alice)
	if a.status != http.StatusOK || a.ctype != "application/zip" || !strings.HasPrefix(a.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("owner's download: %d %q %q", a.status, a.ctype, a.header.Get("Content-Disposition"))
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(a.body)), int64(len(a.body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = f.Comment + "\n" + string(b)
	}
	if files["notes$.txt"] != "text/plain\nmilk" || !strings.HasPrefix(files["profile/card$.ttl"], "text/turtle\n") || files[".acl"] == "" {
		t.Errorf("the zip lacks the pod's files in the CSS layout: %v", keys(files))
	}
	if _, ok := files["secret$.txt"]; ok {
		t.Error("the zip holds a document the owner may not read")
	}
	if _, ok := files["secret.acl"]; ok {
		t.Error("the zip holds an ACL the owner has no Control over")
	}

	for _, tc := range []struct {
		name   string
		path   string
		hd     map[string]string
		cookie bool
		who    string
		want   int
	}{
		{"script fetch", "alice", map[string]string{"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin"}, true, "alice", 403},
		{"same-origin fetch", "alice", map[string]string{"Sec-Fetch-Mode": "same-origin", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin"}, true, "alice", 403},
		{"img", "alice", map[string]string{"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image", "Sec-Fetch-Site": "same-origin"}, true, "alice", 403},
		{"iframe", "alice", map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "same-origin"}, true, "alice", 403},
		{"another site's link", "alice", map[string]string{"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site"}, true, "alice", 403},
		{"no session", "alice", nav, false, "", 401},
		{"someone else's pod", "alice", nav, true, "bob", 404},
		{"unknown pod", "nobody", nav, true, "alice", 404},
		{"path in name", "..%2Fbob", nav, true, "alice", 404},
		{"XSS name", "%3Cscript%3E", nav, true, "alice", 404},
		{"empty name", "", nav, true, "alice", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *http.Cookie
			if tc.cookie {
				c = map[string]*http.Cookie{"alice": alice, "bob": bob}[tc.who]
			}
			r := getPage(t, base, "/.web/export?pod="+tc.path, tc.hd, c)
			if r.status != tc.want || strings.Contains(r.body, "milk") {
				t.Errorf("%d, want %d (%q)", r.status, tc.want, r.body)
			}
		})
	}

	page := getPage(t, base, "/.idp/account", nav, alice)
	if !strings.Contains(page.body, `/.web/export?pod=alice"`) {
		t.Errorf("the account page does not link the download:\n%s", page.body)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
