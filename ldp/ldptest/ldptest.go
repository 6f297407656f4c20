// Package ldptest sets up real pods for tests: a Badger store in a temp
// directory whose commits feed the ACL resolver, and ACL resources written
// straight into it. Tests of behaviour other than access control give the
// public every mode with an ACL (PublicRootACL) — there is no open mode in
// the handler to switch on.
package ldptest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/event"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/internal/testissuer"
	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/rdf"
)

// PublicRootACL gives everyone every mode on everything (for tests only).
const PublicRootACL = `@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#public> a acl:Authorization ;
  acl:agentClass foaf:Agent ;
  acl:accessTo <./> ;
  acl:default <./> ;
  acl:mode acl:Read, acl:Write, acl:Control .
`

// OpenStore opens a Badger store in tb.TempDir() and a resolver of
// effective ACLs for it whose caches follow every commit, as the server
// wires them. The store is closed when the test ends.
func OpenStore(tb testing.TB, base string, opts badgerstore.Options) (*badgerstore.Store, *acl.Resolver) {
	tb.Helper()
	var res atomic.Pointer[acl.Resolver]
	opts.OnCommit = func(cs []event.Change) {
		if r := res.Load(); r != nil {
			for _, c := range cs {
				r.Invalidate(c.Path)
			}
		}
	}
	st, err := badgerstore.Open(tb.TempDir(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	loc, err := ldp.NewLocator(base, nil)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := ldp.NewACLResolver(st, loc, 0)
	if err != nil {
		tb.Fatal(err)
	}
	res.Store(r)
	return st, r
}

// WriteACL stores turtle (relative IRIs resolve against the ACL resource's
// own IRI under base) as the ACL resource at aclPath, canonicalised like
// every RDF source.
func WriteACL(tb testing.TB, st ldp.Store, base, aclPath, turtle string) {
	tb.Helper()
	iri := strings.TrimSuffix(base, "/") + aclPath
	g, err := rdf.Parse(strings.NewReader(turtle), rdf.MediaTurtle, iri, rdf.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	if err := rdf.Write(&b, g, rdf.MediaTurtle); err != nil {
		tb.Fatal(err)
	}
	_, _, err = st.Put(context.Background(), ldp.PutRequest{
		Path: aclPath, ContentType: rdf.MediaTurtle, RDF: true, Aux: true,
		Body: strings.NewReader(b.String()),
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// PublicHandler returns a handler over st whose root ACL gives the public
// every mode (the resolver r must be st's, from OpenStore).
func PublicHandler(tb testing.TB, st ldp.Store, r *acl.Resolver, cfg ldp.Config) *ldp.Handler {
	tb.Helper()
	WriteACL(tb, st, cfg.BaseURL, "/.acl", PublicRootACL)
	cfg.ACL = r
	h, err := ldp.NewHandler(st, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(h.Close)
	return h
}

// Send makes a request to url as agent (nil: anonymous; otherwise signed
// with a fresh DPoP proof), with body of media type ct ("" for none) and
// extra header name/value pairs, and returns the response with its body
// read.
func Send(tb testing.TB, agent *testissuer.Agent, method, url, ct, body string, header ...string) (*http.Response, string) {
	tb.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body == "" {
		r.Body, r.ContentLength = http.NoBody, 0
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if agent != nil {
		if err := agent.Sign(r); err != nil {
			tb.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Issuer starts a Solid-OIDC test issuer on 127.0.0.1 for the test and
// returns it with a function that builds, for a pod at base, the real
// authenticator trusting it (its SSRF-safe client may reach exactly the
// issuer's address).
func Issuer(tb testing.TB) (*testissuer.Issuer, func(base string) *auth.Authenticator) {
	tb.Helper()
	iss, err := testissuer.Start(testissuer.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(iss.Close)
	ap := netip.MustParseAddrPort(iss.AddrPort())
	client := safehttp.New(safehttp.Options{Timeout: 3 * time.Second, AllowAddrPorts: []netip.AddrPort{ap}})
	return iss, func(base string) *auth.Authenticator {
		return auth.NewAuthenticator(auth.AuthOptions{BaseURL: base, Client: client})
	}
}

// Server starts an httptest server whose handler is set later (a pod's
// handler needs the server's URL as its base URL first).
func Server(tb testing.TB) (*httptest.Server, func(http.Handler)) {
	tb.Helper()
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	return srv, func(handler http.Handler) { h.Store(&handler) }
}
