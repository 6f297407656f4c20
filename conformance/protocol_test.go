package conformance

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Solid Protocol §2 (HTTP) and §4 (resources, storage, containers,
// auxiliary resources, reading and writing, deleting, representations).

func TestHTTP(t *testing.T) {
	requirement(t, "server-http", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "doc.ttl"
		srv.put(t, doc, ctTurtle, []byte(`<#a> <#b> "c" .`))
		get := srv.do(t, http.MethodGet, doc, nil, "Accept", ctTurtle)
		mustStatus(t, get, http.StatusOK)
		head := srv.do(t, http.MethodHead, doc, nil, "Accept", ctTurtle)
		mustStatus(t, head, http.StatusOK)
		if len(head.body) != 0 {
			t.Errorf("HEAD returned a body of %d bytes", len(head.body))
		}
		for _, h := range []string{"Content-Type", "ETag", "Last-Modified", "Allow", "Link"} {
			if get.Header.Get(h) != head.Header.Get(h) {
				t.Errorf("HEAD and GET disagree on %s: %q vs %q", h, head.Header.Get(h), get.Header.Get(h))
			}
		}
		if cl := get.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(get.body)) {
			t.Errorf("Content-Length %s but body has %d bytes", cl, len(get.body))
		}
		expect(t, srv.do(t, http.MethodGet, dir+"missing", nil), http.StatusNotFound)
		// RFC 9110 §15.5.6: 405 carries Allow.
		r := srv.do(t, http.MethodDelete, "/", nil)
		if expect(t, r, http.StatusMethodNotAllowed) && r.Header.Get("Allow") == "" {
			t.Errorf("405 without Allow: %s", r)
		}
		// RFC 9110 §9.1: an unrecognized method is 501, an unsupported one 405.
		r = srv.do(t, "FROBNICATE", doc, nil)
		expect(t, r, http.StatusNotImplemented, http.StatusMethodNotAllowed)
		// Content negotiation: a representation nothing in Accept fits is
		// 406, or the server may ignore Accept (RFC 9110 §12.5.1).
		r = srv.do(t, http.MethodGet, doc, nil, "Accept", "image/png")
		if r.StatusCode != http.StatusNotAcceptable {
			expect(t, r, http.StatusOK)
			if _, err := parseAs(r); err != nil {
				t.Errorf("Accept ignored but the body is no RDF: %v", err)
			}
		}
	})

	requirement(t, "server-http-11", func(t *testing.T) {
		// Two requests pipelined on one persistent connection, then a
		// request without Host (RFC 9112 §3.2: 400).
		conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		// Each request carries its own proof (a proof is single-use).
		req := func() string {
			return "HEAD / HTTP/1.1\r\nHost: " + srv.addr + "\r\n" + srv.authLines(owner, http.MethodHead, "/") + "\r\n"
		}
		if _, err := io.WriteString(conn, req()+req()); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		for i := 0; i < 2; i++ {
			resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodHead})
			if err != nil {
				t.Fatalf("pipelined response %d: %v", i+1, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 1 || resp.ProtoMinor != 1 {
				t.Errorf("pipelined response %d: %s %s", i+1, resp.Proto, resp.Status)
			}
		}
		res := srv.raw("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", nil, 10*time.Second)
		if res.resp == nil || res.resp.StatusCode != http.StatusBadRequest {
			t.Errorf("request without Host: want 400, got %+v", res)
		}
	})

	requirement(t, "server-caching", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "c.txt"
		srv.put(t, doc, "text/plain", []byte("cache me"))
		r := srv.do(t, http.MethodGet, doc, nil)
		mustStatus(t, r, http.StatusOK)
		etag, lm := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
		if etag == "" || lm == "" {
			t.Fatalf("validators missing: ETag %q Last-Modified %q", etag, lm)
		}
		nm := srv.do(t, http.MethodGet, doc, nil, "If-None-Match", etag)
		if expect(t, nm, http.StatusNotModified) {
			if len(nm.body) != 0 {
				t.Errorf("304 with a body")
			}
			if nm.Header.Get("ETag") != etag {
				t.Errorf("304 must repeat ETag (RFC 9110 §15.4.5): got %q want %q", nm.Header.Get("ETag"), etag)
			}
		}
		expect(t, srv.do(t, http.MethodGet, doc, nil, "If-Modified-Since", lm), http.StatusNotModified)
		expect(t, srv.do(t, http.MethodGet, doc, nil, "If-None-Match", `"other"`), http.StatusOK)
	})

	requirement(t, "server-content-type-includes", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"b.bin", "application/octet-stream", []byte{0, 1, 2, 3})
		for _, r := range []*reply{
			srv.do(t, http.MethodGet, dir+"a.ttl", nil),
			srv.do(t, http.MethodGet, dir+"b.bin", nil),
			srv.do(t, http.MethodGet, dir, nil),
			srv.do(t, http.MethodGet, "/", nil),
			srv.do(t, http.MethodGet, dir+"missing", nil),
			srv.do(t, http.MethodDelete, "/", nil),
		} {
			if len(r.body) > 0 && r.Header.Get("Content-Type") == "" {
				t.Errorf("content without Content-Type: %s", r)
			}
		}
		if mt := mediaType(srv.do(t, http.MethodGet, dir+"b.bin", nil)); mt != "application/octet-stream" {
			t.Errorf("binary served as %q", mt)
		}
	})

	requirement(t, "server-content-type-missing", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"keep.txt", "text/plain", []byte("x"))
		expect(t, srv.do(t, http.MethodPut, dir+"a.ttl", []byte(`<#a> <#b> <#c> .`)), http.StatusBadRequest)
		expect(t, srv.do(t, http.MethodPut, dir+"keep.txt", []byte(`changed`)), http.StatusBadRequest)
		expect(t, srv.do(t, http.MethodPost, dir, []byte(`<#a> <#b> <#c> .`)), http.StatusBadRequest)
		expect(t, srv.do(t, http.MethodGet, dir+"a.ttl", nil), http.StatusNotFound)
		if r := srv.do(t, http.MethodGet, dir+"keep.txt", nil); string(r.body) != "x" {
			t.Errorf("refused PUT changed the resource: %s", r)
		}
		if kids := srv.children(t, dir); len(kids) != 1 {
			t.Errorf("refused requests created resources: %v", kids)
		}
	})

	requirement(t, "server-last-modified-includes", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"b.txt", "text/plain", []byte("b"))
		for _, p := range []string{dir + "a.ttl", dir + "b.txt", dir, "/"} {
			for _, m := range []string{http.MethodGet, http.MethodHead} {
				r := srv.do(t, m, p, nil)
				expect(t, r, http.StatusOK)
				lm := r.Header.Get("Last-Modified")
				if _, err := http.ParseTime(lm); err != nil {
					t.Errorf("%s %s: Last-Modified %q: %v", m, p, lm, err)
				}
			}
		}
	})

	requirement(t, "server-uri-trailing-slash-distinct", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"x", "text/plain", []byte("file"))
		expect(t, srv.do(t, http.MethodPut, dir+"x/", []byte(`<#a> <#b> <#c> .`), "Content-Type", ctTurtle), http.StatusConflict)
		expect(t, srv.do(t, http.MethodPut, dir+"x/child.txt", []byte("c"), "Content-Type", "text/plain"), http.StatusConflict)
		r := srv.do(t, http.MethodGet, dir+"x/", nil)
		if r.StatusCode == http.StatusOK {
			t.Errorf("%sx/ answers 200 while %sx is a document: %s", dir, dir, r)
		}
		srv.put(t, dir+"y/", ctTurtle, nil)
		expect(t, srv.do(t, http.MethodPut, dir+"y", []byte("file"), "Content-Type", "text/plain"), http.StatusConflict)
		// POST must not make the twin either.
		r = srv.do(t, http.MethodPost, dir, []byte("z"), "Content-Type", "text/plain", "Slug", "y")
		if expect(t, r, created...) {
			if loc := location(t, r); loc == srv.url(dir+"y") || loc == srv.url(dir+"y/") {
				t.Errorf("POST Slug y reused a taken name: %s", loc)
			}
		}
		kids := srv.children(t, dir)
		if kids[srv.url(dir+"y")] || kids[srv.url(dir+"x/")] {
			t.Errorf("both slash twins listed: %v", kids)
		}
		if !kids[srv.url(dir+"x")] || !kids[srv.url(dir+"y/")] {
			t.Errorf("originals missing from listing: %v", kids)
		}
	})
}

func TestStorage(t *testing.T) {
	requirement(t, "server-storage", func(t *testing.T) {
		r := srv.do(t, http.MethodGet, "/", nil, "Accept", ctNTriples)
		mustStatus(t, r, http.StatusOK)
		if !hasLink(r, "type", pimNS+"Storage") {
			t.Errorf("root is not advertised as pim:Storage: %v", r.Header.Values("Link"))
		}
		if !hasLink(r, "type", ldpNS+"BasicContainer") && !hasLink(r, "type", ldpNS+"Container") {
			t.Errorf("root is not a container: %v", r.Header.Values("Link"))
		}
		// Every resource is contained, transitively, by the root.
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		if !srv.children(t, "/")[srv.url(dir)] {
			t.Errorf("root does not contain %s", dir)
		}
	})

	requirement(t, "server-link-storage", func(t *testing.T) {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := srv.do(t, m, "/", nil)
			expect(t, r, http.StatusOK)
			if !hasLink(r, "type", pimNS+"Storage") {
				t.Errorf("%s /: no Link rel=type pim:Storage: %v", m, r.Header.Values("Link"))
			}
		}
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		for _, p := range []string{dir, dir + "a.txt"} {
			if r := srv.do(t, http.MethodHead, p, nil); hasLink(r, "type", pimNS+"Storage") {
				t.Errorf("%s claims to be a storage", p)
			}
		}
	})

	// The ID client-link-storage carries the server MUST about the
	// storageDescription link on GET, HEAD and OPTIONS.
	requirement(t, "client-link-storage", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"b.txt", "text/plain", []byte("b"))
		var targets map[string]bool = map[string]bool{}
		for _, p := range []string{"/", dir, dir + "a.ttl", dir + "b.txt"} {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
				r := srv.do(t, m, p, nil)
				if r.StatusCode/100 != 2 {
					t.Errorf("%s %s: %s", m, p, r)
					continue
				}
				ts := linkTargets(r, relStorageDescription)
				if len(ts) != 1 {
					t.Errorf("%s %s: want one storageDescription link, got %v", m, p, r.Header.Values("Link"))
				}
				for _, x := range ts {
					targets[x] = true
				}
			}
		}
		if len(targets) != 1 {
			t.Errorf("one storage, but storageDescription targets %v", targets)
		}
	})

	requirement(t, "server-storage-description-resource", func(t *testing.T) {
		r := srv.do(t, http.MethodHead, "/", nil)
		ts := linkTargets(r, relStorageDescription)
		if len(ts) == 0 {
			t.Fatalf("no storageDescription link on /: %v", r.Header.Values("Link"))
		}
		root := srv.url("/")
		for _, target := range append(ts, srv.url("/.well-known/solid")) {
			g, _ := srv.fetchGraph(t, target)
			about := append(g.match(iri(root), term{}, term{}), g.match(term{}, term{}, iri(root))...)
			if len(about) == 0 {
				t.Errorf("%s says nothing about the storage %s:\n%s", target, root, g)
			}
			if len(g.match(iri(root), iri(rdfType), iri(pimNS+"Storage"))) == 0 &&
				len(g.match(term{}, iri(pimNS+"storage"), iri(root))) == 0 {
				t.Logf("note: %s does not type %s as pim:Storage", target, root)
			}
		}
	})
}

func TestContainers(t *testing.T) {
	requirement(t, "server-basic-container", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"doc.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"sub/", ctTurtle, []byte(`<> <http://purl.org/dc/terms/title> "sub" .`))
		r := srv.do(t, http.MethodPost, dir, nil, "Link", `<`+ldpNS+`BasicContainer>; rel="type"`, "Slug", "posted", "Content-Type", ctTurtle)
		mustStatus(t, r, created...)
		posted := location(t, r)
		if !strings.HasSuffix(posted, "/") {
			t.Errorf("POST with BasicContainer type created a non-container %s", posted)
		}
		for _, c := range []string{dir, dir + "sub/", posted} {
			h := srv.do(t, http.MethodHead, c, nil)
			expect(t, h, http.StatusOK)
			if !hasLink(h, "type", ldpNS+"BasicContainer") {
				t.Errorf("%s: no Link rel=type ldp:BasicContainer: %v", c, h.Header.Values("Link"))
			}
		}
		g, _ := srv.fetchGraph(t, dir)
		self := iri(srv.url(dir))
		if !g.has(self, iri(rdfType), iri(ldpNS+"BasicContainer")) && !g.has(self, iri(rdfType), iri(ldpNS+"Container")) {
			t.Errorf("container body does not type itself as a container:\n%s", g)
		}
		for _, child := range []string{dir + "doc.ttl", dir + "sub/", posted} {
			if !g.has(self, iri(ldpNS+"contains"), iri(srv.url(child))) {
				t.Errorf("missing ldp:contains %s:\n%s", child, g)
			}
		}
		sub, _ := srv.fetchGraph(t, dir+"sub/")
		if !sub.has(iri(srv.url(dir+"sub/")), iri(dctermsNS+"title"), lit("sub")) {
			t.Errorf("container PUT body lost:\n%s", sub)
		}
	})

	requirement(t, "server-contained-resource-metadata", func(t *testing.T) {
		dir := fresh(t.Name())
		body := []byte("twelve bytes")
		srv.put(t, dir+"f.txt", "text/plain", body)
		srv.put(t, dir+"d.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"c/x.txt", "text/plain", []byte("x"))
		g, _ := srv.fetchGraph(t, dir)
		for _, child := range []string{dir + "f.txt", dir + "d.ttl", dir + "c/"} {
			c := iri(srv.url(child))
			if !g.has(c, iri(rdfType), term{}) {
				t.Errorf("%s: no rdf:type in container description", child)
			}
			mods := g.match(c, iri(dctermsNS+"modified"), term{})
			if len(mods) != 1 {
				t.Errorf("%s: want one dcterms:modified, got %v", child, mods)
				continue
			}
			mod, err := time.Parse(time.RFC3339Nano, mods[0].o.value)
			if err != nil {
				t.Errorf("%s: dcterms:modified %q: %v", child, mods[0].o.value, err)
				continue
			}
			h := srv.do(t, http.MethodHead, child, nil)
			lm, err := http.ParseTime(h.Header.Get("Last-Modified"))
			if err == nil && (mod.Sub(lm) > time.Second || lm.Sub(mod) > time.Second) {
				t.Errorf("%s: dcterms:modified %v but Last-Modified %v", child, mod, lm)
			}
		}
		if !g.has(iri(srv.url(dir+"c/")), iri(rdfType), iri(ldpNS+"BasicContainer")) &&
			!g.has(iri(srv.url(dir+"c/")), iri(rdfType), iri(ldpNS+"Container")) {
			t.Errorf("child container not typed as container:\n%s", g)
		}
		sizes := g.match(iri(srv.url(dir+"f.txt")), iri(posixNS+"size"), term{})
		if len(sizes) != 1 || sizes[0].o.value != strconv.Itoa(len(body)) {
			t.Errorf("posix:size of f.txt: want %d, got %v", len(body), sizes)
		}
	})

	requirement(t, "server-put-patch-intermediate-containers", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a/b/c/leaf.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		chain := []string{dir, dir + "a/", dir + "a/b/", dir + "a/b/c/", dir + "a/b/c/leaf.ttl"}
		for i := 0; i+1 < len(chain); i++ {
			h := srv.do(t, http.MethodHead, chain[i], nil)
			expect(t, h, http.StatusOK)
			if !hasLink(h, "type", ldpNS+"BasicContainer") {
				t.Errorf("%s is not a basic container", chain[i])
			}
			if !srv.children(t, chain[i])[srv.url(chain[i+1])] {
				t.Errorf("%s does not contain %s", chain[i], chain[i+1])
			}
		}
		// A document in the way is a conflict, not an overwrite.
		srv.put(t, dir+"doc", "text/plain", []byte("doc"))
		expect(t, srv.do(t, http.MethodPut, dir+"doc/x/y.txt", []byte("y"), "Content-Type", "text/plain"), http.StatusConflict)
		if r := srv.do(t, http.MethodGet, dir+"doc", nil); string(r.body) != "doc" {
			t.Errorf("document in the path changed: %s", r)
		}
	})
}

func TestAuxiliary(t *testing.T) {
	// auxLinks returns the acl and describedby targets of p.
	auxLinks := func(t *testing.T, p string) (acl, meta string) {
		t.Helper()
		r := srv.do(t, http.MethodHead, p, nil)
		mustStatus(t, r, http.StatusOK)
		a, d := linkTargets(r, "acl"), linkTargets(r, "describedby")
		if len(a) != 1 || len(d) != 1 {
			t.Fatalf("%s: want one acl and one describedby link, got %v", p, r.Header.Values("Link"))
		}
		return a[0], d[0]
	}

	requirement(t, "server-link-auxiliary-type", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"r.bin", "application/octet-stream", []byte{9})
		for _, p := range []string{"/", dir, dir + "r.ttl", dir + "r.bin"} {
			for _, m := range []string{http.MethodGet, http.MethodHead} {
				r := srv.do(t, m, p, nil)
				expect(t, r, http.StatusOK)
				if len(linkTargets(r, "acl")) != 1 {
					t.Errorf("%s %s: want one rel=acl link: %v", m, p, r.Header.Values("Link"))
				}
				if len(linkTargets(r, "describedby")) != 1 {
					t.Errorf("%s %s: want one rel=describedby link: %v", m, p, r.Header.Values("Link"))
				}
			}
		}
	})

	// The ID client-link-auxiliary-type carries "Servers MUST NOT directly
	// associate more than one description resource to a subject resource".
	requirement(t, "client-link-auxiliary-type", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.txt", "text/plain", []byte("r"))
		_, meta := auxLinks(t, dir+"r.txt")
		srv.put(t, meta, ctTurtle, []byte(`<r.txt> <http://purl.org/dc/terms/title> "r" .`))
		r := srv.do(t, http.MethodGet, dir+"r.txt", nil)
		if d := linkTargets(r, "describedby"); len(d) != 1 || d[0] != meta {
			t.Errorf("want exactly one describedby %s, got %v", meta, d)
		}
	})

	// The ID client-link-describes carries "Servers MUST respond with the
	// 405 status code to requests using HTTP methods that are not supported
	// by the target resource".
	requirement(t, "client-link-describes", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"doc.txt", "text/plain", []byte("doc"))
		r := srv.do(t, http.MethodPost, dir+"doc.txt", []byte("x"), "Content-Type", "text/plain")
		if expect(t, r, http.StatusMethodNotAllowed) && tokens(r.Header, "Allow")["post"] {
			t.Errorf("405 for POST but Allow lists POST: %v", r.Header.Values("Allow"))
		}
		r = srv.do(t, http.MethodDelete, "/", nil)
		expect(t, r, http.StatusMethodNotAllowed)
		// The description resource links back with rel=describes (RFC 6892).
		_, meta := auxLinks(t, dir+"doc.txt")
		srv.put(t, meta, ctTurtle, []byte(`<doc.txt> <http://purl.org/dc/terms/title> "doc" .`))
		if h := srv.do(t, http.MethodHead, meta, nil); !hasLink(h, "describes", srv.url(dir+"doc.txt")) {
			t.Logf("note: %s has no rel=describes link back to its subject (a client MAY use it)", meta)
		}
	})

	requirement(t, "server-auxiliary-resources-management", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.txt", "text/plain", []byte("r"))
		acl, meta := auxLinks(t, dir+"r.txt")
		if acl == meta || acl == srv.url(dir+"r.txt") || meta == srv.url(dir+"r.txt") {
			t.Fatalf("auxiliary URLs collide: acl %s meta %s", acl, meta)
		}
		aclBody := []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>;
  acl:accessTo <r.txt>; acl:mode acl:Read, acl:Write, acl:Control.`)
		if r := srv.do(t, http.MethodPut, acl, aclBody, "Content-Type", ctTurtle); !expect(t, r, created...) {
			t.FailNow()
		}
		srv.put(t, meta, ctTurtle, []byte(`<r.txt> <http://purl.org/dc/terms/title> "R" .`))
		// Auxiliary resources are RDF documents.
		for _, p := range []string{acl, meta} {
			g, r := srv.fetchGraph(t, p)
			if len(g) == 0 {
				t.Errorf("%s is empty: %s", p, r)
			}
			expect(t, srv.do(t, http.MethodPut, p, []byte("not rdf"), "Content-Type", "text/plain"),
				http.StatusUnsupportedMediaType, http.StatusBadRequest)
		}
		// They are not contained resources and do not make a container non-empty.
		kids := srv.children(t, dir)
		if len(kids) != 1 || !kids[srv.url(dir+"r.txt")] {
			t.Errorf("container lists auxiliary resources: %v", kids)
		}
		cacl, cmeta := auxLinks(t, dir)
		srv.put(t, cmeta, ctTurtle, []byte(`<> <http://purl.org/dc/terms/title> "dir" .`))
		_ = cacl
		// Deleting the subject deletes its auxiliary resources.
		mustStatus(t, srv.do(t, http.MethodDelete, dir+"r.txt", nil), deleted...)
		for _, p := range []string{acl, meta} {
			expect(t, srv.do(t, http.MethodGet, p, nil), http.StatusNotFound)
		}
		mustStatus(t, srv.do(t, http.MethodDelete, dir, nil), deleted...)
		expect(t, srv.do(t, http.MethodGet, cmeta, nil), http.StatusNotFound)
	})

	requirement(t, "server-put-patch-auxiliary-resource", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		_, meta := auxLinks(t, dir+"r.ttl")
		r := srv.do(t, http.MethodPut, meta, []byte(`<r.ttl> <http://purl.org/dc/terms/title> "one" .`), "Content-Type", ctTurtle)
		mustStatus(t, r, created...)
		r = srv.do(t, http.MethodPut, meta, []byte(`<r.ttl> <http://purl.org/dc/terms/title> "two" .`), "Content-Type", ctTurtle)
		mustStatus(t, r, updated...)
		g, _ := srv.fetchGraph(t, meta)
		if !g.has(iri(srv.url(dir+"r.ttl")), iri(dctermsNS+"title"), lit("two")) || g.has(term{}, term{}, lit("one")) {
			t.Errorf("description resource not replaced:\n%s", g)
		}
		// The container's auxiliary resources too.
		cacl, _ := auxLinks(t, dir)
		r = srv.do(t, http.MethodPut, cacl, []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#o> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.`), "Content-Type", ctTurtle)
		mustStatus(t, r, created...)
	})
}

func TestWriting(t *testing.T) {
	requirement(t, "server-post-uri-assignment", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+".keep", "text/plain", []byte("k"))
		seen := map[string]bool{}
		for i := 0; i < 3; i++ {
			r := srv.do(t, http.MethodPost, dir, []byte("posted "+strconv.Itoa(i)), "Content-Type", "text/plain")
			mustStatus(t, r, created...)
			loc := location(t, r)
			if seen[loc] {
				t.Errorf("URI %s assigned twice", loc)
			}
			seen[loc] = true
			g := srv.do(t, http.MethodGet, loc, nil)
			if expect(t, g, http.StatusOK) && string(g.body) != "posted "+strconv.Itoa(i) {
				t.Errorf("GET %s: %q", loc, g.body)
			}
		}
	})

	requirement(t, "server-post-container", func(t *testing.T) {
		for _, c := range []string{"/", fresh(t.Name())} {
			if c != "/" {
				srv.put(t, c+"seed.txt", "text/plain", []byte("seed"))
			}
			r := srv.do(t, http.MethodPost, c, []byte(`<#a> <#b> <#c> .`), "Content-Type", ctTurtle, "Slug", "t-post-container")
			mustStatus(t, r, created...)
			loc := location(t, r)
			if c == "/" {
				mustStatus(t, srv.do(t, http.MethodDelete, loc, nil), deleted...)
			}
		}
	})

	requirement(t, "server-post-container-create-resource", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		cases := []struct {
			hdr       []string
			container bool
		}{
			{[]string{"Content-Type", "text/plain"}, false},
			{[]string{"Content-Type", ctTurtle, "Slug", "named"}, false},
			{[]string{"Content-Type", ctTurtle, "Link", `<` + ldpNS + `BasicContainer>; rel="type"`}, true},
			{[]string{"Content-Type", ctTurtle, "Link", `<` + ldpNS + `BasicContainer>; rel="type"`, "Slug", "box"}, true},
		}
		for _, c := range cases {
			r := srv.do(t, http.MethodPost, dir, []byte{}, c.hdr...)
			if !expect(t, r, created...) {
				continue
			}
			loc := location(t, r)
			rest, ok := strings.CutPrefix(loc, srv.url(dir))
			if !ok {
				t.Errorf("Location %s is not in %s", loc, dir)
				continue
			}
			if c.container {
				rest, ok = strings.CutSuffix(rest, "/")
				if !ok {
					t.Errorf("container created at %s (no trailing slash)", loc)
				}
			}
			if rest == "" || strings.Contains(rest, "/") {
				t.Errorf("Location %s is not {container}/{id}", loc)
			}
			if !srv.children(t, dir)[loc] {
				t.Errorf("%s not listed in %s", loc, dir)
			}
		}
	})

	requirement(t, "server-post-target-not-found", func(t *testing.T) {
		dir := fresh(t.Name())
		expect(t, srv.do(t, http.MethodPost, dir, []byte("x"), "Content-Type", "text/plain"), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodPost, dir+"deeper/", []byte("x"), "Content-Type", "text/plain"), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodGet, dir, nil), http.StatusNotFound)
	})

	requirement(t, "server-safe-methods", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"r.bin", "application/octet-stream", []byte{1})
		for _, p := range []string{"/", dir, dir + "r.ttl", dir + "r.bin"} {
			expect(t, srv.do(t, http.MethodGet, p, nil), http.StatusOK)
			expect(t, srv.do(t, http.MethodHead, p, nil), http.StatusOK)
			expect(t, srv.do(t, http.MethodOptions, p, nil), optionsO...)
		}
		expect(t, srv.do(t, http.MethodOptions, dir+"missing", nil), append(optionsO, http.StatusNotFound)...)
	})

	requirement(t, "server-allow-methods", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		for _, p := range []string{"/", dir, dir + "r.ttl"} {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
				r := srv.do(t, m, p, nil)
				if r.StatusCode/100 != 2 {
					t.Errorf("%s %s: %s", m, p, r)
					continue
				}
				allow := tokens(r.Header, "Allow")
				for _, need := range []string{"get", "head", "options", "put"} {
					if !allow[need] {
						t.Errorf("%s %s: Allow %v lacks %s", m, p, r.Header.Values("Allow"), need)
					}
				}
				if strings.HasSuffix(p, "/") && !allow["post"] {
					t.Errorf("%s %s: container Allow lacks POST: %v", m, p, r.Header.Values("Allow"))
				}
				if p != "/" && !allow["delete"] {
					t.Errorf("%s %s: Allow lacks DELETE: %v", m, p, r.Header.Values("Allow"))
				}
			}
		}
	})

	requirement(t, "server-accept-headers", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"r.txt", "text/plain", []byte("x"))
		field := map[string]string{"put": "Accept-Put", "post": "Accept-Post", "patch": "Accept-Patch"}
		for _, p := range []string{"/", dir, dir + "r.ttl", dir + "r.txt"} {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
				r := srv.do(t, m, p, nil)
				if r.StatusCode/100 != 2 {
					t.Errorf("%s %s: %s", m, p, r)
					continue
				}
				allow := tokens(r.Header, "Allow")
				for method, h := range field {
					if allow[method] && r.Header.Get(h) == "" {
						t.Errorf("%s %s: Allow has %s but no %s", m, p, strings.ToUpper(method), h)
					}
				}
				if allow["patch"] && !tokens(r.Header, "Accept-Patch")["text/n3"] {
					t.Errorf("%s %s: Accept-Patch lacks text/n3 (server-patch-n3-advertise)", m, p)
				}
				if ap := tokens(r.Header, "Accept-Put"); strings.HasSuffix(p, "/") && !ap["text/turtle"] {
					t.Errorf("%s %s: Accept-Put %v lacks text/turtle", m, p, r.Header.Values("Accept-Put"))
				}
			}
		}
	})

	requirement(t, "server-protect-containment", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		before := srv.children(t, dir)
		self := srv.url(dir)
		for _, body := range []string{
			// claim a child that does not exist
			`<> <` + ldpNS + `contains> <ghost.txt> .`,
			// restate the real one (still a containment triple in a PUT)
			`<> <` + ldpNS + `contains> <a.txt> .`,
			// drop the real one by omission is fine, so add a foreign one
			`<` + self + `> <` + ldpNS + `contains> <` + srv.url("/elsewhere") + `> .`,
		} {
			r := srv.do(t, http.MethodPut, dir, []byte(body), "Content-Type", ctTurtle)
			expect(t, r, http.StatusConflict)
		}
		after := srv.children(t, dir)
		if len(after) != len(before) || !after[srv.url(dir+"a.txt")] {
			t.Errorf("containment changed: %v → %v", before, after)
		}
		if expect(t, srv.do(t, http.MethodGet, dir+"ghost.txt", nil), http.StatusNotFound) {
			// and a PUT of the container without containment triples is allowed
			r := srv.do(t, http.MethodPut, dir, []byte(`<> <`+dctermsNS+`title> "ok" .`), "Content-Type", ctTurtle)
			expect(t, r, updated...)
			if !srv.children(t, dir)[srv.url(dir+"a.txt")] {
				t.Errorf("container PUT without containment triples dropped the child")
			}
		}
	})

	requirement(t, "server-protect-contained-resource-metadata", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		g0, _ := srv.fetchGraph(t, dir)
		for _, body := range []string{
			`<a.txt> <` + dctermsNS + `modified> "2001-01-01T00:00:00Z"^^<` + xsdNS + `dateTime> .`,
			`<a.txt> <` + posixNS + `size> 999 .`,
			`<a.txt> a <` + ldpNS + `Container> .`,
		} {
			if r := srv.do(t, http.MethodPut, dir, []byte(body), "Content-Type", ctTurtle); r.StatusCode != http.StatusConflict {
				t.Errorf("PUT %s with %s: want 409, got %d", dir, body, r.StatusCode)
			}
		}
		// POST that creates a container with containment metadata in its body.
		r := srv.do(t, http.MethodPost, dir, []byte(`<> <`+ldpNS+`contains> <x.txt> .`),
			"Content-Type", ctTurtle, "Link", `<`+ldpNS+`BasicContainer>; rel="type"`, "Slug", "c")
		expect(t, r, http.StatusConflict)
		g1, _ := srv.fetchGraph(t, dir)
		for _, tr := range g0.match(iri(srv.url(dir+"a.txt")), term{}, term{}) {
			if !g1.has(tr.s, tr.p, tr.o) {
				t.Errorf("metadata changed: %s gone", tr)
			}
		}
		if len(srv.children(t, dir)) != 1 {
			t.Errorf("refused POST created something: %v", srv.children(t, dir))
		}
	})

	requirement(t, "server-etag", func(t *testing.T) {
		dir := fresh(t.Name())
		p := dir + "e.ttl"
		srv.put(t, p, ctTurtle, []byte(`<#a> <#b> "1" .`))
		r := srv.do(t, http.MethodGet, p, nil, "Accept", ctTurtle)
		e1 := r.Header.Get("ETag")
		if e1 == "" || strings.HasPrefix(e1, "W/") || !strings.HasPrefix(e1, `"`) {
			t.Fatalf("want a strong ETag, got %q", e1)
		}
		if h := srv.do(t, http.MethodHead, p, nil, "Accept", ctTurtle); h.Header.Get("ETag") != e1 {
			t.Errorf("HEAD ETag %q differs from GET %q", h.Header.Get("ETag"), e1)
		}
		if r2 := srv.do(t, http.MethodGet, p, nil, "Accept", ctTurtle); r2.Header.Get("ETag") != e1 {
			t.Errorf("ETag not stable: %q then %q", e1, r2.Header.Get("ETag"))
		}
		// Different representations of one resource must not share a strong validator
		// unless they are byte-identical (RFC 9110 §8.8.3).
		if j := srv.do(t, http.MethodGet, p, nil, "Accept", ctJSONLD); j.StatusCode == http.StatusOK &&
			j.Header.Get("ETag") == e1 && !bytes.Equal(j.body, r.body) {
			t.Errorf("Turtle and JSON-LD representations share strong ETag %s", e1)
		}
		expect(t, srv.do(t, http.MethodPut, p, []byte(`<#a> <#b> "x" .`), "Content-Type", ctTurtle, "If-Match", `"nope"`), http.StatusPreconditionFailed)
		expect(t, srv.do(t, http.MethodPut, p, []byte(`<#a> <#b> "x" .`), "Content-Type", ctTurtle, "If-None-Match", "*"), http.StatusPreconditionFailed)
		expect(t, srv.do(t, http.MethodPut, dir+"new.ttl", []byte(`<#a> <#b> "x" .`), "Content-Type", ctTurtle, "If-Match", "*"), http.StatusPreconditionFailed)
		expect(t, srv.do(t, http.MethodPut, dir+"new.ttl", []byte(`<#a> <#b> "x" .`), "Content-Type", ctTurtle, "If-Match", e1), http.StatusPreconditionFailed)
		expect(t, srv.do(t, http.MethodDelete, p, nil, "If-Match", `"nope"`), http.StatusPreconditionFailed)
		past := time.Now().Add(-24 * time.Hour).UTC().Format(http.TimeFormat)
		expect(t, srv.do(t, http.MethodPut, p, []byte(`<#a> <#b> "x" .`), "Content-Type", ctTurtle, "If-Unmodified-Since", past), http.StatusPreconditionFailed)
		g, _ := srv.fetchGraph(t, p)
		if g.has(term{}, term{}, lit("x")) {
			t.Fatalf("a refused conditional write changed the resource:\n%s", g)
		}
		up := srv.do(t, http.MethodPut, p, []byte(`<#a> <#b> "2" .`), "Content-Type", ctTurtle, "If-Match", e1)
		mustStatus(t, up, updated...)
		e2 := srv.do(t, http.MethodGet, p, nil, "Accept", ctTurtle).Header.Get("ETag")
		if e2 == e1 {
			t.Errorf("ETag unchanged after an update: %s", e1)
		}
		if pe := up.Header.Get("ETag"); pe != "" && pe != e2 {
			t.Logf("note: PUT answered ETag %s, GET text/turtle has %s", pe, e2)
		}
		expect(t, srv.do(t, http.MethodGet, p, nil, "Accept", ctTurtle, "If-None-Match", e2), http.StatusNotModified)
		expect(t, srv.do(t, http.MethodGet, p, nil, "Accept", ctTurtle, "If-None-Match", e1), http.StatusOK)
		expect(t, srv.do(t, http.MethodHead, p, nil, "Accept", ctTurtle, "If-None-Match", "*"), http.StatusNotModified)
		// A container's validator changes when its listing changes.
		c1 := srv.do(t, http.MethodGet, dir, nil, "Accept", ctTurtle).Header.Get("ETag")
		srv.put(t, dir+"another.txt", "text/plain", []byte("x"))
		if c2 := srv.do(t, http.MethodGet, dir, nil, "Accept", ctTurtle).Header.Get("ETag"); c1 == c2 {
			t.Errorf("container ETag %s unchanged after a child was added", c1)
		}
		// If-None-Match: * creates only when absent.
		mustStatus(t, srv.do(t, http.MethodPut, dir+"once.txt", []byte("1"), "Content-Type", "text/plain", "If-None-Match", "*"), created...)
		expect(t, srv.do(t, http.MethodPut, dir+"once.txt", []byte("2"), "Content-Type", "text/plain", "If-None-Match", "*"), http.StatusPreconditionFailed)
	})
}

func TestDelete(t *testing.T) {
	requirement(t, "server-delete-protect-root-container", func(t *testing.T) {
		expect(t, srv.do(t, http.MethodDelete, "/", nil), http.StatusMethodNotAllowed)
		acl := rootACL(t)
		expect(t, srv.do(t, http.MethodDelete, acl, nil), http.StatusMethodNotAllowed)
		expect(t, srv.do(t, http.MethodGet, "/", nil), http.StatusOK)
		expect(t, srv.do(t, http.MethodGet, acl, nil), http.StatusOK)
	})

	requirement(t, "server-disallow-delete", func(t *testing.T) {
		acl := rootACL(t)
		for _, p := range []string{"/", acl} {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodDelete} {
				r := srv.do(t, m, p, nil)
				if r.Header.Get("Allow") == "" {
					t.Errorf("%s %s: no Allow header: %s", m, p, r)
				}
				if tokens(r.Header, "Allow")["delete"] {
					t.Errorf("%s %s: Allow lists DELETE: %v", m, p, r.Header.Values("Allow"))
				}
			}
		}
	})

	requirement(t, "server-delete-remove-containment", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		srv.put(t, dir+"b.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		srv.put(t, dir+"sub/", ctTurtle, nil)
		for _, p := range []string{dir + "a.txt", dir + "b.ttl", dir + "sub/"} {
			mustStatus(t, srv.do(t, http.MethodDelete, p, nil), deleted...)
			expect(t, srv.do(t, http.MethodGet, p, nil), http.StatusNotFound)
			if srv.children(t, dir)[srv.url(p)] {
				t.Errorf("%s still listed after DELETE", p)
			}
		}
		expect(t, srv.do(t, http.MethodDelete, dir+"a.txt", nil), http.StatusNotFound)
	})

	requirement(t, "server-delete-remove-auxiliary-resource", func(t *testing.T) {
		dir := fresh(t.Name())
		for _, p := range []string{dir + "r.txt", dir + "c/"} {
			if strings.HasSuffix(p, "/") {
				srv.put(t, p, ctTurtle, nil)
			} else {
				srv.put(t, p, "text/plain", []byte("r"))
			}
			h := srv.do(t, http.MethodHead, p, nil)
			acl, meta := linkTargets(h, "acl"), linkTargets(h, "describedby")
			if len(acl) != 1 || len(meta) != 1 {
				t.Fatalf("%s: aux links %v", p, h.Header.Values("Link"))
			}
			// An own ACL replaces inheritance: it keeps the owner in control.
			srv.put(t, acl[0], ctTurtle, ownerACL(p))
			srv.put(t, meta[0], ctTurtle, []byte(`<#x> <#y> <#z> .`))
			mustStatus(t, srv.do(t, http.MethodDelete, p, nil), deleted...)
			for _, a := range []string{acl[0], meta[0]} {
				expect(t, srv.do(t, http.MethodGet, a, nil), http.StatusNotFound)
			}
			// Re-creating the subject must not resurrect old auxiliaries.
			if strings.HasSuffix(p, "/") {
				srv.put(t, p, ctTurtle, nil)
			} else {
				srv.put(t, p, "text/plain", []byte("again"))
			}
			for _, a := range []string{acl[0], meta[0]} {
				expect(t, srv.do(t, http.MethodGet, a, nil), http.StatusNotFound)
			}
		}
	})

	requirement(t, "server-delete-remove-empty-container", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"empty/", ctTurtle, nil)
		srv.put(t, dir+"was/x.txt", "text/plain", []byte("x"))
		mustStatus(t, srv.do(t, http.MethodDelete, dir+"was/x.txt", nil), deleted...)
		for _, c := range []string{dir + "empty/", dir + "was/"} {
			mustStatus(t, srv.do(t, http.MethodDelete, c, nil), deleted...)
			expect(t, srv.do(t, http.MethodGet, c, nil), http.StatusNotFound)
			if srv.children(t, dir)[srv.url(c)] {
				t.Errorf("%s still listed", c)
			}
		}
	})

	requirement(t, "server-delete-protect-nonempty-container", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"full/a.txt", "text/plain", []byte("a"))
		r := srv.do(t, http.MethodDelete, dir+"full/", nil)
		if expect(t, r, http.StatusConflict) && len(bytes.TrimSpace(r.body)) == 0 {
			t.Errorf("409 without a body describing the error")
		}
		expect(t, srv.do(t, http.MethodGet, dir+"full/a.txt", nil), http.StatusOK)
		if !srv.children(t, dir+"full/")[srv.url(dir+"full/a.txt")] {
			t.Errorf("refused DELETE changed the listing")
		}
	})
}

// rootACL returns the root's acl link target. The server writes the root
// ACL (owner-only) on first start; should it be missing, an ACL granting the
// owner full control is written, never one that opens the pod.
func rootACL(t *testing.T) string {
	t.Helper()
	h := srv.do(t, http.MethodHead, "/", nil)
	acls := linkTargets(h, "acl")
	if len(acls) != 1 {
		t.Fatalf("/: want one rel=acl link, got %v", h.Header.Values("Link"))
	}
	acl := acls[0]
	if srv.do(t, http.MethodHead, acl, nil).StatusCode == http.StatusNotFound {
		body := `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#owner> a acl:Authorization; acl:agent <` + owner.WebID + `>;
  acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Append, acl:Control.`
		r := srv.do(t, http.MethodPut, acl, []byte(body), "Content-Type", ctTurtle)
		expect(t, r, written...)
	}
	return acl
}

func TestRepresentations(t *testing.T) {
	requirement(t, "server-representation-turtle-jsonld", func(t *testing.T) {
		dir := fresh(t.Name())
		subj := srv.url(dir + "doc#it")
		want := graph{
			{iri(subj), iri(dctermsNS + "title"), lit("Ünïcode \"quoted\" title")},
			{iri(subj), iri(rdfType), iri("http://xmlns.com/foaf/0.1/Document")},
			{iri(subj), iri("http://example.org/n"), term{kind: 'L', value: "42", dt: xsdNS + "integer"}},
			{iri(subj), iri("http://example.org/l"), term{kind: 'L', value: "hei", lang: "fi"}},
		}
		var nt bytes.Buffer
		for _, tr := range want {
			nt.WriteString(tr.String() + "\n")
		}
		ttl := `@prefix dc: <http://purl.org/dc/terms/>.
<#it> dc:title "Ünïcode \"quoted\" title"; a <http://xmlns.com/foaf/0.1/Document>;
  <http://example.org/n> 42; <http://example.org/l> "hei"@fi.`
		jsonld := `{"@id": "#it", "@type": "http://xmlns.com/foaf/0.1/Document",
  "http://purl.org/dc/terms/title": "Ünïcode \"quoted\" title",
  "http://example.org/n": {"@value": "42", "@type": "http://www.w3.org/2001/XMLSchema#integer"},
  "http://example.org/l": {"@value": "hei", "@language": "fi"}}`
		// created by PUT in each syntax and by POST
		sources := map[string]struct {
			ct   string
			body string
		}{
			"doc-nt": {ctNTriples, nt.String()},
			"doc":    {ctTurtle, ttl},
			"doc-jl": {ctJSONLD, jsonld},
		}
		var paths []string
		for name, src := range sources {
			p := dir + name
			body := src.body
			if name != "doc" {
				// rebase the subject so all three describe dir+"doc#it"
				body = strings.ReplaceAll(body, `"#it"`, `"`+subj+`"`)
			}
			srv.put(t, p, src.ct, []byte(body))
			paths = append(paths, p)
		}
		r := srv.do(t, http.MethodPost, dir, []byte(nt.String()), "Content-Type", ctNTriples)
		mustStatus(t, r, created...)
		paths = append(paths, location(t, r))
		for _, p := range paths {
			for _, accept := range []string{ctTurtle, ctJSONLD, ctNTriples} {
				r := srv.do(t, http.MethodGet, p, nil, "Accept", accept)
				if !expect(t, r, http.StatusOK) {
					continue
				}
				if mediaType(r) != accept {
					t.Errorf("GET %s Accept %s: Content-Type %q", p, accept, r.Header.Get("Content-Type"))
					continue
				}
				if !tokens(r.Header, "Vary")["accept"] {
					t.Errorf("GET %s: Vary %v lacks Accept", p, r.Header.Values("Vary"))
				}
				g, err := parseAs(r)
				if err != nil {
					t.Errorf("GET %s as %s: unparseable: %v\n%s", p, accept, err, r.body)
					continue
				}
				if !groundEqual(g, want) {
					t.Errorf("GET %s as %s: graph differs\nwant:\n%s\ngot:\n%s", p, accept, want, g)
				}
			}
		}
		// q-values decide.
		for accept, wantCT := range map[string]string{
			"text/turtle;q=0.2, application/ld+json;q=0.9":         ctJSONLD,
			"application/ld+json;q=0.1, text/turtle":               ctTurtle,
			"application/n-triples;q=0.5, application/ld+json;q=0": ctNTriples,
		} {
			r := srv.do(t, http.MethodGet, paths[0], nil, "Accept", accept)
			if expect(t, r, http.StatusOK) && mediaType(r) != wantCT {
				t.Errorf("Accept %q: got %s, want %s", accept, mediaType(r), wantCT)
			}
		}
		// Browsers' default Accept still yields an RDF representation.
		r = srv.do(t, http.MethodGet, paths[0], nil, "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		if expect(t, r, http.StatusOK) {
			if _, err := parseAs(r); err != nil {
				t.Errorf("Accept */* gave %s: %v", mediaType(r), err)
			}
		}
	})
}

// resolve is a small helper for tests that compare URLs.
func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}
