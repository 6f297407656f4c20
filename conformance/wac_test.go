package conformance

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestWAC(t *testing.T) {
	a, b := agents(t)

	requirement(t, "server-unauthenticated", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			want401(t, srv.doAs(t, nil, m, "/", nil))
		}
		want401(t, srv.doAs(t, nil, http.MethodPut, fresh(t.Name())+"x.txt", []byte("x"), "Content-Type", "text/plain"))
		want401(t, srv.doAs(t, nil, http.MethodPost, "/", []byte("x"), "Content-Type", "text/plain"))
		// Authenticated but not permitted: 403, not 401.
		expect(t, srv.doAs(t, b, http.MethodGet, "/", nil), http.StatusForbidden)
	})

	requirement(t, "wac-public-endpoints", func(t *testing.T) {
		for _, p := range []string{"/.well-known/solid", "/.naamio/health"} {
			expect(t, srv.doAs(t, nil, http.MethodGet, p, nil), http.StatusOK)
		}
		// OPTIONS needs no authorization, on existing and missing resources.
		for _, p := range []string{"/", "/no-such-thing.txt", fresh(t.Name())} {
			expect(t, srv.doAs(t, nil, http.MethodOptions, p, nil, "Origin", appOrigin,
				"Access-Control-Request-Method", "PUT"), optionsO...)
		}
	})

	requirement(t, "server-root-container-acl", func(t *testing.T) {
		acl := rootACL(t)
		r := srv.do(t, http.MethodGet, acl, nil, "Accept", ctTurtle)
		if expect(t, r, http.StatusOK) && len(r.body) == 0 {
			t.Errorf("root ACL without a representation")
		}
		want401(t, srv.doAs(t, nil, http.MethodGet, acl, nil))
		expect(t, srv.doAs(t, a, http.MethodGet, acl, nil), http.StatusForbidden)
		expect(t, srv.doAs(t, a, http.MethodPut, acl, aclTurtle(grant{subject: publicSubject, modes: "RWC", accessTo: srv.url("/"), deflt: srv.url("/")}),
			"Content-Type", ctTurtle), http.StatusForbidden)
	})

	requirement(t, "server-root-container-acl-authorization-control", func(t *testing.T) {
		g, _ := srv.fetchGraph(t, rootACL(t))
		root := iri(srv.url("/"))
		found := false
		for _, tr := range g.match(term{}, iri(aclNS+"agent"), iri(owner.WebID)) {
			au := tr.s
			if g.has(au, iri(aclNS+"mode"), iri(aclNS+"Control")) && g.has(au, iri(aclNS+"mode"), iri(aclNS+"Read")) &&
				g.has(au, iri(aclNS+"mode"), iri(aclNS+"Write")) && g.has(au, iri(aclNS+"accessTo"), root) &&
				g.has(au, iri(aclNS+"default"), root) {
				found = true
			}
		}
		if !found {
			t.Errorf("root ACL has no Read/Write/Control authorization for the owner on <%s> (accessTo and default):\n%s", srv.url("/"), g)
		}
		if g.has(term{}, iri(aclNS+"agentClass"), iri(foafAgent)) || g.has(term{}, iri(aclNS+"agentClass"), iri(aclNS+"AuthenticatedAgent")) {
			t.Errorf("the initial root ACL grants something to a class of agents:\n%s", g)
		}
	})

	requirement(t, "server-root-container-acl-required", func(t *testing.T) {
		// No root ACL in the store and no --owner-webid: the server starts
		// but the root is closed to everyone (no ACL: fail closed) until an
		// owner appears, and it says so.
		data := filepath.Join(t.TempDir(), "data")
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		s, err := launchBare(naamioBin, data, addr, "--allow-fetch-addr", issuer.AddrPort())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.waitHealthy(healthTimeout); err != nil {
			_ = s.kill()
			t.Fatalf("%v\n%s", err, s.logTail())
		}
		want401(t, s.doAs(t, nil, http.MethodGet, "/", nil))
		if r := s.doAs(t, owner, http.MethodGet, "/", nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("the would-be owner reads a root without ACL: %s", r)
		}
		if !strings.Contains(strings.ToLower(s.logTail()), "owner") {
			t.Errorf("the log does not say the root has no owner yet:\n%s", s.logTail())
		}
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		// With --owner-webid it starts; afterwards the stored root ACL is
		// enough, and a restart without the flag keeps the owner's ACL.
		s, err = launchAt(naamioBin, data, addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.waitHealthy(healthTimeout); err != nil {
			_ = s.kill()
			t.Fatalf("%v\n%s", err, s.logTail())
		}
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		s, err = launchBare(naamioBin, data, addr, "--allow-fetch-addr", issuer.AddrPort())
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := s.stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		}()
		if err := s.waitHealthy(healthTimeout); err != nil {
			_ = s.kill()
			t.Fatalf("restart with a stored root ACL: %v\n%s", err, s.logTail())
		}
		expect(t, s.do(t, http.MethodGet, "/", nil), http.StatusOK)
		want401(t, s.doAs(t, nil, http.MethodGet, "/", nil))
	})

	requirement(t, "server-wac-allow", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := srv.do(t, m, "/", nil)
			if expect(t, r, http.StatusOK) {
				checkWACAllow(t, r, "user=append control read write;public=")
			}
		}
		dir, doc := aclDir(t, t.Name(), grant{subject: publicSubject, modes: "R"}, grant{subject: agentSubject(a), modes: "WA"})
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := srv.doAs(t, nil, m, doc, nil)
			if expect(t, r, http.StatusOK) {
				checkWACAllow(t, r, "user=read;public=read")
			}
			r = srv.doAs(t, a, m, doc, nil)
			if expect(t, r, http.StatusOK) {
				checkWACAllow(t, r, "user=append read write;public=read")
			}
			r = srv.doAs(t, b, m, dir, nil)
			if expect(t, r, http.StatusOK) {
				checkWACAllow(t, r, "user=read;public=read")
			}
			r = srv.do(t, m, doc, nil)
			if expect(t, r, http.StatusOK) {
				checkWACAllow(t, r, "user=append control read write;public=read")
			}
		}
	})

	requirement(t, "server-cors-aceh-wac-allow", func(t *testing.T) {
		r := srv.do(t, http.MethodGet, "/", nil, "Origin", appOrigin)
		mustStatus(t, r, http.StatusOK)
		if !tokens(r.Header, "Access-Control-Expose-Headers")["wac-allow"] {
			t.Errorf("WAC-Allow not exposed: %v", r.Header.Values("Access-Control-Expose-Headers"))
		}
		// Also on a 401, so a browser app can read the challenge.
		r = srv.doAs(t, nil, http.MethodGet, "/", nil, "Origin", appOrigin)
		if want401(t, r) && !tokens(r.Header, "Access-Control-Expose-Headers")["www-authenticate"] {
			t.Errorf("WWW-Authenticate not exposed on a 401: %v", r.Header.Values("Access-Control-Expose-Headers"))
		}
	})

	requirement(t, "server-link-acl", func(t *testing.T) {
		_, doc := aclDir(t, t.Name(), grant{subject: agentSubject(a), modes: "R"})
		for name, r := range map[string]*reply{
			"owner": srv.do(t, http.MethodHead, doc, nil),
			"alice": srv.doAs(t, a, http.MethodGet, doc, nil),
		} {
			if expect(t, r, http.StatusOK) && len(linkTargets(r, "acl")) != 1 {
				t.Errorf("%s: want one rel=acl link, got %v", name, r.Header.Values("Link"))
			}
		}
	})

	requirement(t, "server-get-acl-turtle", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := srv.do(t, m, rootACL(t), nil, "Accept", ctTurtle)
			if expect(t, r, http.StatusOK) && mediaType(r) != ctTurtle {
				t.Errorf("%s root ACL as Turtle: Content-Type %q", m, mediaType(r))
			}
		}
	})
}
