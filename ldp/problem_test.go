package ldp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// The handler logs nothing itself (issue 11): what its client is not told
// in full reaches Config.Problems, here an ACL that cannot be used (fail
// closed, SECURITY.md row 23), with the path it concerns.
func TestProblemsReachTheSink(t *testing.T) {
	const base = "http://pod.example/"
	st, h, problems := problemHandler(t, base)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("PUT", base+"u/", nil))
	if rec.Code != 201 {
		t.Fatalf("PUT /u/ = %d", rec.Code)
	}
	ldptest.WriteACL(t, st, base, "/u/.acl", `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
<#a> a acl:Authorization ; acl:agentClass <http://xmlns.com/foaf/0.1/Agent> ; acl:accessTo <./> ;
  acl:mode acl:Read ; acl:condition <#c> .`)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", base+"u/", nil))
	if rec.Code != 401 {
		t.Fatalf("GET under an unusable ACL = %d, want 401", rec.Code)
	}
	got := problems()
	if len(got) != 1 || got[0].Kind != ldp.ProblemNoUsableACL || got[0].Path != "/u/" || got[0].Err == nil || got[0].Method != "GET" {
		t.Fatalf("problems = %+v, want one ProblemNoUsableACL for /u/", got)
	}
	if got[0].Kind.String() != "access denied: no usable ACL" {
		t.Errorf("kind in words = %q", got[0].Kind.String())
	}
}

// A client that goes away while its request waits (here: its context is
// cancelled before the write commits) is not a server failure: the
// request is recorded as 499 (client closed request, as proxies count
// it), no 5xx reaches the operator's log or the 5xx metrics, and nothing
// is written. Before, a load tool stopping at its deadline left "request
// failed … context canceled" errors and 5xx counts behind.
func TestClientGoneIsNotAFailure(t *testing.T) {
	const base = "http://pod.example/"
	_, h, problems := problemHandler(t, base)
	for _, method := range []string{"PUT", "GET", "DELETE", "POST"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequest(method, base+"gone.txt", strings.NewReader("x")).WithContext(ctx)
		req.Header.Set("Content-Type", "text/plain")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 499 || rec.Body.Len() != 0 {
			t.Errorf("%s by a client gone = %d %q, want 499 and no body", method, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", base+"gone.txt", nil))
	if rec.Code != 404 {
		t.Errorf("GET after the cancelled PUT = %d, want 404", rec.Code)
	}
	if got := problems(); len(got) != 0 {
		t.Fatalf("problems = %+v, want none", got)
	}
}

// problemHandler is a public handler on a real store whose problems are
// collected; problems returns them so far.
func problemHandler(t *testing.T, base string) (*badgerstore.Store, http.Handler, func() []ldp.Problem) {
	t.Helper()
	st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
	var mu sync.Mutex
	var got []ldp.Problem
	h := ldptest.PublicHandler(t, st, res, ldp.Config{BaseURL: base, Problems: func(_ context.Context, p ldp.Problem) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p)
	}})
	return st, h, func() []ldp.Problem {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}
