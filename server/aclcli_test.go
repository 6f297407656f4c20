package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The owner's way back in: with the server stopped, `naamio acl set`
// replaces the root ACL (checked first), and `naamio acl show` reports what
// governs a path.
func TestACLCommand(t *testing.T) {
	s, cfg := newOwned(t)
	closeServer(s)
	log, _ := NewLogger(io.Discard, "json", "info")

	run := func(stdin string, args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := aclCommand(append(args[:1:1], append([]string{"--data", cfg.DataDir}, args[1:]...)...), strings.NewReader(stdin), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := run("", "show", "/some/doc")
	if err != nil || !strings.Contains(out, "governed by /.acl: inherited") || !strings.Contains(out, "owner.example") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	if _, err := run(`<#a> <http://www.w3.org/ns/auth/acl#condition> <#c> .`, "set", "/"); err == nil {
		t.Fatal("an ACL that cannot be enforced was written")
	}
	if _, err := run(`not turtle`, "set", "/"); err == nil {
		t.Fatal("bad Turtle was written")
	}
	public := `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#all> a acl:Authorization ; acl:agentClass <http://xmlns.com/foaf/0.1/Agent> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .`
	if out, err := run(public, "set", "/"); err != nil {
		t.Fatalf("set: %v\n%s", err, out)
	}
	if out, err := run(public, "set", "/new/"); err != nil || !strings.Contains(out, "/new/.acl") {
		t.Fatalf("set on a new container: %v\n%s", err, out)
	}
	if _, err := run(public, "set", "/missing-doc"); err == nil {
		t.Fatal("set on a missing document succeeded")
	}

	cfg.OwnerWebID = ""
	s, err = New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer closeServer(s)
	srv := httptest.NewServer(s.http.Handler)
	defer srv.Close()
	for p, want := range map[string]int{"/": 200, "/new/": 200, "/nothing": 404} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", p, resp.StatusCode, want)
		}
	}
}
