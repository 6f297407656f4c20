package conformance

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Description resources (Solid Protocol §4.3.2 and auxiliary-resource
// rules): /x.meta, linked from /x with rel="describedby", shows the stored
// description plus server-managed statements about /x, which clients
// cannot write.

// metaOf returns the describedby target of p.
func metaOf(t *testing.T, s *server, p string) string {
	t.Helper()
	r := s.do(t, http.MethodHead, p, nil)
	mustStatus(t, r, http.StatusOK)
	d := linkTargets(r, "describedby")
	if len(d) != 1 {
		t.Fatalf("%s: want one describedby link, got %v", p, r.Header.Values("Link"))
	}
	return d[0]
}

func TestDescriptionResource(t *testing.T) {
	requirement(t, "meta-links", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"x.txt", "text/plain", []byte("x"))
		meta := metaOf(t, srv, dir+"x.txt")
		if meta != srv.url(dir+"x.txt.meta") {
			t.Logf("note: description resource at %s", meta)
		}
		srv.put(t, meta, ctTurtle, []byte(`<x.txt> <`+dctermsNS+`title> "X" .`))
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := srv.do(t, m, meta, nil)
			expect(t, r, http.StatusOK)
			if !hasLink(r, "describes", srv.url(dir+"x.txt")) {
				t.Errorf("%s %s: no rel=describes link to the subject: %v", m, meta, r.Header.Values("Link"))
			}
			if len(linkTargets(r, "describedby")) != 0 {
				t.Errorf("%s %s: a description resource has its own describedby: %v", m, meta, r.Header.Values("Link"))
			}
			ap := tokens(r.Header, "Accept-Patch")
			if !ap["text/n3"] || !tokens(r.Header, "Allow")["patch"] {
				t.Errorf("%s %s: not patchable: Allow %v Accept-Patch %v", m, meta, r.Header.Values("Allow"), r.Header.Values("Accept-Patch"))
			}
		}
		// A container's description resource too.
		cmeta := metaOf(t, srv, dir)
		srv.put(t, cmeta, ctTurtle, []byte(`<> <`+dctermsNS+`title> "dir" .`))
		if r := srv.do(t, http.MethodHead, cmeta, nil); !hasLink(r, "describes", srv.url(dir)) {
			t.Errorf("%s: no rel=describes to %s: %v", cmeta, dir, r.Header.Values("Link"))
		}
	})

	requirement(t, "meta-server-managed-triples", func(t *testing.T) {
		dir := fresh(t.Name())
		body := []byte("fifteen bytes!!")
		srv.put(t, dir+"x.txt", "text/plain", body)
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		for _, p := range []string{dir + "x.txt", dir + "r.ttl"} {
			meta := metaOf(t, srv, p)
			srv.put(t, meta, ctTurtle, []byte(`@prefix dc: <http://purl.org/dc/terms/>.
<`+p[strings.LastIndex(p, "/")+1:]+`> dc:title "stored"; a <http://schema.org/Thing> .
<#note> dc:modified "2001-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .`))
			g, _ := srv.fetchGraph(t, meta)
			subj := iri(srv.url(p))
			if !g.has(subj, iri(dctermsNS+"title"), lit("stored")) || !g.has(subj, iri(rdfType), iri("http://schema.org/Thing")) {
				t.Errorf("%s: stored triples missing:\n%s", meta, g)
			}
			if !g.has(iri(meta+"#note"), iri(dctermsNS+"modified"), term{}) {
				t.Errorf("%s: stored triple about another subject missing:\n%s", meta, g)
			}
			mods := g.match(subj, iri(dctermsNS+"modified"), term{})
			if len(mods) != 1 {
				t.Errorf("%s: want one dcterms:modified of %s, got %v", meta, p, mods)
			} else if _, err := time.Parse(time.RFC3339Nano, mods[0].o.value); err != nil {
				t.Errorf("%s: dcterms:modified %q: %v", meta, mods[0].o.value, err)
			}
			if len(g.match(subj, iri(posixNS+"mtime"), term{})) != 1 {
				t.Errorf("%s: want one posix:mtime:\n%s", meta, g)
			}
			sizes := g.match(subj, iri(posixNS+"size"), term{})
			if len(sizes) != 1 {
				t.Errorf("%s: want one posix:size:\n%s", meta, g)
			} else if p == dir+"x.txt" && sizes[0].o.value != strconv.Itoa(len(body)) {
				t.Errorf("%s: posix:size %s, want %d", meta, sizes[0].o.value, len(body))
			}
			if !g.has(subj, iri(rdfType), iri(ldpNS+"Resource")) {
				t.Errorf("%s: no rdf:type ldp:Resource for %s:\n%s", meta, p, g)
			}
			// Turtle and JSON-LD carry the same statements.
			for _, ct := range []string{ctTurtle, ctJSONLD} {
				r := srv.do(t, http.MethodGet, meta, nil, "Accept", ct)
				if !expect(t, r, http.StatusOK) {
					continue
				}
				if g2, err := parseAs(r); err != nil || !groundEqual(g, g2) {
					t.Errorf("%s as %s differs from N-Triples (%v)", meta, ct, err)
				}
			}
		}
	})

	requirement(t, "meta-protect-server-managed", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"x.txt", "text/plain", []byte("x"))
		meta := metaOf(t, srv, dir+"x.txt")
		srv.put(t, meta, ctTurtle, []byte(`<x.txt> <`+dctermsNS+`title> "X" .`))
		subject := srv.snapshot(t, dir+"x.txt")
		for name, body := range map[string]string{
			"modified":        `<x.txt> <` + dctermsNS + `modified> "2001-01-01T00:00:00Z"^^<` + xsdNS + `dateTime> .`,
			"size":            `<x.txt> <` + posixNS + `size> 999 .`,
			"mtime":           `<x.txt> <` + posixNS + `mtime> 1 .`,
			"type container":  `<x.txt> a <` + ldpNS + `Container> .`,
			"type basic":      `<x.txt> a <` + ldpNS + `BasicContainer> .`,
			"absolute IRI":    `<` + srv.url(dir+"x.txt") + `> <` + posixNS + `size> 77 .`,
			"mixed with fine": `<x.txt> <` + dctermsNS + `title> "Y"; <` + posixNS + `size> 2 .`,
		} {
			before := srv.snapshot(t, meta)
			r := srv.do(t, http.MethodPut, meta, []byte(body), "Content-Type", ctTurtle)
			if !expect(t, r, http.StatusConflict) {
				t.Logf("PUT %s: %s", name, body)
			}
			srv.unchanged(t, meta, before, "PUT "+name)
		}
		for name, body := range map[string][]byte{
			"insert size":       n3Doc(`solid:inserts { <x.txt> posix:size 5 }`),
			"insert modified":   n3Doc(`solid:inserts { <x.txt> dc:modified "2001-01-01T00:00:00Z"^^xsd:dateTime }`),
			"insert type":       n3Doc(`solid:inserts { <x.txt> a ldp:Container }`),
			"delete type":       n3Doc(`solid:deletes { <x.txt> a ldp:Resource }`),
			"delete size":       n3Doc(`solid:deletes { <x.txt> posix:size 1 }`),
			"where then delete": n3Doc(`solid:where { <x.txt> posix:mtime ?m }`, `solid:deletes { <x.txt> posix:mtime ?m }`),
		} {
			srv.refuse(t, meta, ctN3, body, "PATCH "+name, http.StatusConflict)
		}
		srv.refuse(t, meta, ctSPARQL, []byte(`INSERT DATA { <x.txt> <`+posixNS+`size> 5 }`), "SPARQL insert size", http.StatusConflict)
		srv.refuse(t, meta, ctSPARQL, []byte(`DELETE DATA { <x.txt> <`+posixNS+`size> 1 }`), "SPARQL delete size", http.StatusConflict)
		srv.unchanged(t, dir+"x.txt", subject, "refused description writes")
		// Other statements about the subject are the client's to change.
		r := srv.patch(t, meta, ctN3, n3Doc(`solid:deletes { <x.txt> dc:title "X" }`, `solid:inserts { <x.txt> dc:title "Z"; a <http://schema.org/Thing> }`))
		if expect(t, r, updated...) {
			g, _ := srv.fetchGraph(t, meta)
			if !g.has(iri(srv.url(dir+"x.txt")), iri(dctermsNS+"title"), lit("Z")) || g.has(term{}, term{}, lit("X")) {
				t.Errorf("allowed PATCH not applied:\n%s", g)
			}
		}
		if r := srv.do(t, http.MethodGet, dir+"x.txt", nil); string(r.body) != "x" {
			t.Errorf("subject changed: %s", r)
		}
	})

	requirement(t, "meta-subject-missing", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"x.txt", "text/plain", []byte("x"))
		meta := metaOf(t, srv, dir+"x.txt")
		ghostMeta := strings.Replace(meta, "x.txt", "ghost.txt", 1)
		r := srv.do(t, http.MethodPut, ghostMeta, []byte(`<ghost.txt> <`+dctermsNS+`title> "G" .`), "Content-Type", ctTurtle)
		expect(t, r, http.StatusConflict)
		r = srv.patch(t, ghostMeta, ctN3, n3Doc(`solid:inserts { <ghost.txt> dc:title "G" }`))
		expect(t, r, http.StatusConflict, http.StatusNotFound)
		for _, p := range []string{ghostMeta, dir + "ghost.txt"} {
			expect(t, srv.do(t, http.MethodGet, p, nil), http.StatusNotFound)
		}
		if kids := srv.children(t, dir); len(kids) != 1 {
			t.Errorf("refused description writes created resources: %v", kids)
		}
		// Subject in a missing container: nothing created along the path.
		r = srv.do(t, http.MethodPut, dir+"nope/y.txt.meta", []byte(`<y.txt> <`+dctermsNS+`title> "G" .`), "Content-Type", ctTurtle)
		expect(t, r, http.StatusConflict)
		expect(t, srv.do(t, http.MethodGet, dir+"nope/", nil), http.StatusNotFound)
	})

	requirement(t, "meta-deleted-with-subject", func(t *testing.T) {
		dir := fresh(t.Name())
		for _, p := range []string{dir + "x.txt", dir + "r.ttl"} {
			if strings.HasSuffix(p, ".ttl") {
				srv.put(t, p, ctTurtle, []byte(`<#a> <#b> <#c> .`))
			} else {
				srv.put(t, p, "text/plain", []byte("x"))
			}
			meta := metaOf(t, srv, p)
			name := p[strings.LastIndex(p, "/")+1:]
			mustStatus(t, srv.patch(t, meta, ctN3, n3Doc(`solid:inserts { <`+name+`> dc:title "T" }`)), http.StatusCreated)
			mustStatus(t, srv.do(t, http.MethodDelete, p, nil), deleted...)
			expect(t, srv.do(t, http.MethodGet, meta, nil), http.StatusNotFound)
			// The recreated subject starts without the old description.
			srv.put(t, p, "text/plain", []byte("again"))
			if r := srv.do(t, http.MethodGet, meta, nil, "Accept", ctNTriples); r.StatusCode == http.StatusOK {
				if g, err := parseNTriples(r.body); err == nil && g.has(term{}, iri(dctermsNS+"title"), lit("T")) {
					t.Errorf("old description resurrected:\n%s", g)
				}
			}
		}
	})
}
