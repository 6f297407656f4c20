package ldp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// accessPod is a pod over a real store whose root ACL gives the owner
// everything, behind the real Solid-OIDC authentication middleware trusting
// a real test issuer on 127.0.0.1 (as the server wires it).
type accessPod struct {
	srv          *httptest.Server
	h            http.Handler // the middleware, then the handler
	ldp          *ldp.Handler
	owner, other *testissuer.Agent
	iss          *testissuer.Issuer
}

func newAccessPod(t testing.TB) *accessPod {
	t.Helper()
	iss, authFor := ldptest.Issuer(t)
	p := &accessPod{iss: iss}
	srv, setHandler := ldptest.Server(t)
	p.srv = srv
	base := p.srv.URL + "/"
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	var err error
	if p.owner, err = iss.NewAgent("owner"); err != nil {
		t.Fatal(err)
	}
	if p.other, err = iss.NewAgent("other"); err != nil {
		t.Fatal(err)
	}
	ldptest.WriteACL(t, st, base, "/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#owner> a acl:Authorization ; acl:agent <`+p.owner.WebID+`> ;
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read, acl:Write, acl:Control .`)
	h, err := ldp.NewHandler(st, ldp.Config{BaseURL: base, ACL: res})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	p.ldp, p.h = h, authFor(base).Middleware(h)
	setHandler(p.h)
	return p
}

// as sends a request as agent (nil: anonymous).
func (p *accessPod) as(t *testing.T, agent *testissuer.Agent, method, path, ct, body string) (*http.Response, string) {
	t.Helper()
	return ldptest.Send(t, agent, method, p.srv.URL+path, ct, body)
}

func (p *accessPod) must(t *testing.T, agent *testissuer.Agent, method, path, ct, body string, want int) *http.Response {
	t.Helper()
	resp, b := p.as(t, agent, method, path, ct, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp
}

const aclPrefix = "@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"

// grant is an ACL giving the owner everything and who the modes on the
// resource the ACL belongs to (name: "" for a container, else its name).
func (p *accessPod) grant(name, who, modes string) string {
	target := "<./>"
	def := " acl:default <./> ;"
	if name != "" {
		target, def = "<"+name+">", ""
	}
	return aclPrefix + `<#owner> a acl:Authorization ; acl:agent <` + p.owner.WebID + `> ; acl:accessTo ` + target + ` ;` + def + ` acl:mode acl:Read, acl:Write, acl:Control .
<#g> a acl:Authorization ; ` + who + ` ; acl:accessTo ` + target + ` ;` + def + ` acl:mode ` + modes + ` .`
}

func TestPrivateByDefault(t *testing.T) {
	p := newAccessPod(t)
	p.must(t, p.owner, "PUT", "/a/doc", "text/turtle", "<#s> <#p> <#o> .", 201)

	for _, path := range []string{"/a/doc", "/a/missing", "/a/"} {
		// SECURITY row 21: the same answer whether or not it exists.
		resp := p.must(t, nil, "GET", path, "", "", 401)
		if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "DPoP") {
			t.Fatalf("401 without a DPoP challenge: %q", resp.Header.Get("WWW-Authenticate"))
		}
		p.must(t, p.other, "GET", path, "", "", 403)
	}
	resp := p.must(t, p.owner, "GET", "/a/doc", "", "", 200)
	if got := resp.Header.Get("WAC-Allow"); got != `user="read write append control",public=""` {
		t.Fatalf("WAC-Allow %q", got)
	}
	p.must(t, p.owner, "GET", "/a/missing", "", "", 404)
	// OPTIONS needs no authorization.
	p.must(t, nil, "OPTIONS", "/a/doc", "", "", 204)
}

func TestPublicReadAndACLChangesApplyAtOnce(t *testing.T) {
	p := newAccessPod(t)
	p.must(t, p.owner, "PUT", "/pub/doc", "text/turtle", "<#s> <#p> <#o> .", 201)
	p.must(t, nil, "GET", "/pub/doc", "", "", 401)
	p.must(t, p.owner, "PUT", "/pub/.acl", "text/turtle", p.grant("", "acl:agentClass foaf:Agent", "acl:Read"), 201)
	resp := p.must(t, nil, "GET", "/pub/doc", "", "", 200)
	if got := resp.Header.Get("WAC-Allow"); got != `user="read",public="read"` {
		t.Fatalf("WAC-Allow %q", got)
	}
	p.must(t, nil, "PUT", "/pub/doc", "text/turtle", "<#s> <#p> <#x> .", 401)
	p.must(t, p.other, "DELETE", "/pub/doc", "", "", 403)
	// Removing the ACL sends the container back to the root's rules.
	p.must(t, p.owner, "DELETE", "/pub/.acl", "", "", 204)
	p.must(t, nil, "GET", "/pub/doc", "", "", 401)
}

func TestAppendOnly(t *testing.T) {
	p := newAccessPod(t)
	p.must(t, p.owner, "PUT", "/box/doc", "text/turtle", "<#s> <#p> <#o> .", 201)
	p.must(t, p.owner, "PUT", "/box/.acl", "text/turtle", p.grant("", "acl:agentClass acl:AuthenticatedAgent", "acl:Append"), 201)
	insert := "@prefix solid: <http://www.w3.org/ns/solid/terms#> . _:p a solid:InsertDeletePatch ; solid:inserts { <#s> <#p> <#new> . } ."
	remove := "@prefix solid: <http://www.w3.org/ns/solid/terms#> . _:p a solid:InsertDeletePatch ; solid:deletes { <#s> <#p> <#o> . } ."
	p.must(t, p.other, "PATCH", "/box/doc", "text/n3", insert, 204)
	p.must(t, p.other, "PATCH", "/box/doc", "text/n3", remove, 403) // SECURITY row 20
	p.must(t, p.other, "PUT", "/box/doc", "text/turtle", "<#a> <#b> <#c> .", 403)
	p.must(t, p.other, "POST", "/box/", "text/turtle", "<#a> <#b> <#c> .", 201)
	p.must(t, p.other, "GET", "/box/doc", "", "", 403)
	p.must(t, p.other, "DELETE", "/box/doc", "", "", 403)
}

func TestDeleteNeedsWriteOnParent(t *testing.T) {
	p := newAccessPod(t)
	p.must(t, p.owner, "PUT", "/c/doc", "text/turtle", "<#s> <#p> <#o> .", 201)
	p.must(t, p.owner, "PUT", "/c/doc.acl", "text/turtle", p.grant("doc", "acl:agent <"+p.other.WebID+">", "acl:Read, acl:Write"), 201)
	p.must(t, p.other, "PUT", "/c/doc", "text/turtle", "<#s> <#p> <#x> .", 204)
	p.must(t, p.other, "DELETE", "/c/doc", "", "", 403)
	p.must(t, p.owner, "DELETE", "/c/doc", "", "", 204)
	// SECURITY row 22: the resource's ACL went with it; a new one inherits.
	p.must(t, p.owner, "PUT", "/c/doc", "text/turtle", "<#s> <#p> <#o> .", 201)
	p.must(t, p.other, "GET", "/c/doc", "", "", 403)
}

func TestACLNeedsControl(t *testing.T) {
	p := newAccessPod(t)
	p.must(t, p.owner, "PUT", "/w/doc", "text/turtle", "<#s> <#p> <#o> .", 201)
	p.must(t, p.owner, "PUT", "/w/.acl", "text/turtle", p.grant("", "acl:agent <"+p.other.WebID+">", "acl:Read, acl:Write"), 201)
	acl := p.grant("doc", "acl:agent <"+p.other.WebID+">", "acl:Read, acl:Write, acl:Control")
	// SECURITY row 26: Write is not Control.
	p.must(t, p.other, "GET", "/w/doc.acl", "", "", 403)
	p.must(t, p.other, "PUT", "/w/doc.acl", "text/turtle", acl, 403)
	p.must(t, p.other, "PATCH", "/w/.acl", "text/n3", "@prefix solid: <http://www.w3.org/ns/solid/terms#> . _:p a solid:InsertDeletePatch ; solid:inserts { <#x> <#y> <#z> . } .", 403)
	p.must(t, p.other, "DELETE", "/w/.acl", "", "", 403)
	resp := p.must(t, p.other, "GET", "/w/doc", "", "", 200)
	if got := resp.Header.Get("WAC-Allow"); got != `user="read write append",public=""` {
		t.Fatalf("WAC-Allow %q", got)
	}
	p.must(t, p.owner, "PUT", "/w/doc.acl", "text/turtle", acl, 201)
	p.must(t, p.other, "GET", "/w/doc.acl", "", "", 200)
}

// An ACL the evaluator cannot honour is refused (422) and the previous one
// stays in force; a stored one that cannot be read denies (acl tests).
func TestUnusableACLRefused(t *testing.T) {
	p := newAccessPod(t)
	p.must(t, p.owner, "PUT", "/u/", "", "", 201)
	p.must(t, p.owner, "PUT", "/u/.acl", "text/turtle", p.grant("", "acl:agentClass foaf:Agent", "acl:Read"), 201)
	for _, bad := range []string{
		aclPrefix + `<#a> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:accessTo <./> ; acl:mode acl:Read ; acl:condition <#c> .`,
		aclPrefix + `<#a> a acl:Authorization ; acl:agentClass foaf:Agent ; acl:accessTo <./> ; acl:mode acl:Read ; <http://example.org/unknown> 1 .`,
	} {
		p.must(t, p.owner, "PUT", "/u/.acl", "text/turtle", bad, 422)
	}
	p.must(t, nil, "GET", "/u/", "", "", 200)
}

// Who is calling is decided once, before the handler (issue 11 item 2):
// the handler serves the agent the request's context carries
// (auth.AgentFrom) and never reads credentials itself; a failure carried
// there is answered as the authenticator's own error always was (401 with
// the DPoP challenge, 503 with Retry-After), except by OPTIONS, which
// serves the caller as anonymous.
func TestAgentFromContext(t *testing.T) {
	p := newAccessPod(t)
	refused := fmt.Errorf("%w: %w", auth.ErrUnauthenticated, auth.ErrInvalidToken)
	busy := fmt.Errorf("%w: test", auth.ErrUnavailable)
	for _, tc := range []struct {
		name, method string
		signed       bool // carries the owner's valid credentials
		ctx          func(context.Context) context.Context
		want         int
		header       string // a header the answer must have ("" none)
		noHeader     string // one it must not have
	}{
		{"agent in context", "GET", false, func(c context.Context) context.Context {
			return auth.WithAgent(c, auth.Agent{WebID: p.owner.WebID})
		}, 200, "", ""},
		{"credentials alone", "GET", true, nil, 401, "WWW-Authenticate", ""},
		{"anonymous", "GET", false, func(c context.Context) context.Context { return auth.WithAgent(c, auth.Agent{}) }, 401, "WWW-Authenticate", ""},
		{"refused", "GET", true, func(c context.Context) context.Context { return auth.WithFailure(c, refused) }, 401, "WWW-Authenticate", "Retry-After"},
		{"unavailable", "PUT", false, func(c context.Context) context.Context { return auth.WithFailure(c, busy) }, 503, "Retry-After", ""},
		{"options owner", "OPTIONS", false, func(c context.Context) context.Context {
			return auth.WithAgent(c, auth.Agent{WebID: p.owner.WebID})
		}, 204, "Link", ""},
		{"options refused", "OPTIONS", false, func(c context.Context) context.Context { return auth.WithFailure(c, refused) }, 204, "", "Link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, p.srv.URL+"/", nil)
			if tc.signed {
				if err := p.owner.Sign(r); err != nil {
					t.Fatal(err)
				}
			}
			if tc.ctx != nil {
				r = r.WithContext(tc.ctx(r.Context()))
			}
			w := httptest.NewRecorder()
			p.ldp.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
			if tc.header != "" && w.Header().Get(tc.header) == "" {
				t.Errorf("no %s: %v", tc.header, w.Header())
			}
			if tc.noHeader != "" && w.Header().Get(tc.noHeader) != "" {
				t.Errorf("%s: %q", tc.noHeader, w.Header().Get(tc.noHeader))
			}
		})
	}
	if got := p.must(t, p.owner, "GET", "/", "", "", 200); got == nil {
		t.Fatal("no response through the middleware")
	}
}
