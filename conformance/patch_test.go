package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Solid Protocol §5.3.1 (N3 Patch) and the PATCH halves of the §4 write
// requirements whose PUT halves live in protocol_test.go.

const (
	ctN3     = "text/n3"
	ctSPARQL = "application/sparql-update"
	exNS     = "http://example.org/"

	// n3Prefixes starts every patch document built by n3Doc.
	n3Prefixes = "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n" +
		"@prefix ex: <http://example.org/>.\n" +
		"@prefix dc: <http://purl.org/dc/terms/>.\n" +
		"@prefix ldp: <http://www.w3.org/ns/ldp#>.\n" +
		"@prefix posix: <http://www.w3.org/ns/posix/stat#>.\n" +
		"@prefix xsd: <http://www.w3.org/2001/XMLSchema#>.\n"

	// people is the RDF fixture most patch tests start from. Relative IRIs
	// resolve against the document. It has no blank nodes, so graphs of it
	// compare as ground graphs.
	people = `@prefix ex: <http://example.org/>.
<#alice> ex:name "Alice"; ex:age 30; ex:knows <#bob>.
<#bob> ex:name "Bob"; ex:knows <#carol>.
<#carol> ex:name "Carol".
`
)

// n3Doc builds one InsertDeletePatch document: clauses are the predicate
// parts that follow the type, e.g. `solid:inserts { <#a> ex:p 1 }`.
func n3Doc(clauses ...string) []byte {
	var b strings.Builder
	b.WriteString(n3Prefixes)
	b.WriteString("_:patch a solid:InsertDeletePatch")
	for _, c := range clauses {
		b.WriteString(";\n  ")
		b.WriteString(c)
	}
	b.WriteString(".\n")
	return []byte(b.String())
}

// n3Raw is a patch document body with only the prefixes prepended.
func n3Raw(body string) []byte { return []byte(n3Prefixes + body) }

// patch sends a PATCH with the given Content-Type.
func (s *server) patch(t testing.TB, p, ct string, body []byte, kv ...string) *reply {
	t.Helper()
	return s.do(t, http.MethodPatch, p, body, append([]string{"Content-Type", ct}, kv...)...)
}

// snap is what a resource looked like at one moment.
type snap struct {
	status int
	etag   string
	g      graph
	body   []byte
}

// snapshot GETs p as N-Triples (or, for a missing resource, records 404).
func (s *server) snapshot(t testing.TB, p string) snap {
	t.Helper()
	r := s.do(t, http.MethodGet, p, nil, "Accept", ctNTriples)
	out := snap{status: r.StatusCode, etag: r.Header.Get("ETag"), body: r.body}
	if r.StatusCode == http.StatusOK && mediaType(r) == ctNTriples {
		g, err := parseNTriples(r.body)
		if err != nil {
			t.Fatalf("parsing %s: %v", p, err)
		}
		out.g = g
	}
	return out
}

// unchanged fails the test unless p still looks exactly like before.
func (s *server) unchanged(t testing.TB, p string, before snap, why string) {
	t.Helper()
	after := s.snapshot(t, p)
	if after.status != before.status {
		t.Errorf("%s: %s status %d → %d", why, p, before.status, after.status)
		return
	}
	if after.etag != before.etag {
		t.Errorf("%s: %s ETag %s → %s", why, p, before.etag, after.etag)
	}
	if before.g != nil && !groundEqual(before.g, after.g) {
		t.Errorf("%s: %s changed\nbefore:\n%s\nafter:\n%s", why, p, before.g, after.g)
	}
}

// refuse sends a patch that must be refused with one of want and checks
// that the target did not change.
func (s *server) refuse(t testing.TB, p, ct string, body []byte, why string, want ...int) {
	t.Helper()
	before := s.snapshot(t, p)
	r := s.patch(t, p, ct, body)
	if !expect(t, r, want...) {
		t.Logf("%s; patch was:\n%s", why, body)
	}
	s.unchanged(t, p, before, why)
}

func intLit(n string) term { return term{kind: 'L', value: n, dt: xsdNS + "integer"} }

// peopleDoc creates the people fixture in a fresh container; it returns the
// document path and a function turning "#frag" into an absolute IRI term.
func peopleDoc(t *testing.T) (string, func(string) term) {
	t.Helper()
	p := fresh(t.Name()) + "people.ttl"
	srv.put(t, p, ctTurtle, []byte(people))
	return p, func(frag string) term { return iri(srv.url(p) + frag) }
}

func TestPatchN3(t *testing.T) {
	requirement(t, "server-patch-n3-accept", func(t *testing.T) {
		doc, id := peopleDoc(t)
		before := srv.snapshot(t, doc)
		r := srv.patch(t, doc, ctN3, n3Doc(`solid:inserts { <#alice> ex:likes <#cheese> }`))
		mustStatus(t, r, updated...)
		after := srv.snapshot(t, doc)
		if !after.g.has(id("#alice"), iri(exNS+"likes"), id("#cheese")) {
			t.Errorf("inserted triple missing:\n%s", after.g)
		}
		if len(after.g) != len(before.g)+1 {
			t.Errorf("want %d triples, got %d:\n%s", len(before.g)+1, len(after.g), after.g)
		}
		if after.etag == before.etag {
			t.Errorf("ETag unchanged after a PATCH: %s", after.etag)
		}
		// Media type parameters do not matter.
		r = srv.patch(t, doc, ctN3+"; charset=utf-8", n3Doc(`solid:inserts { <#bob> ex:likes <#cheese> }`))
		expect(t, r, updated...)
		// A container is an RDF source too.
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		r = srv.patch(t, dir, ctN3, n3Doc(`solid:inserts { <> dc:title "patched container" }`))
		if expect(t, r, updated...) {
			g, _ := srv.fetchGraph(t, dir)
			if !g.has(iri(srv.url(dir)), iri(dctermsNS+"title"), lit("patched container")) {
				t.Errorf("container PATCH lost:\n%s", g)
			}
			if !srv.children(t, dir)[srv.url(dir+"seed.txt")] {
				t.Errorf("container PATCH dropped a child")
			}
		}
		// A missing RDF document is created: 201.
		r = srv.patch(t, dir+"new.ttl", ctN3, n3Doc(`solid:inserts { <#x> ex:p "made by PATCH" }`))
		if expect(t, r, http.StatusCreated) {
			g, _ := srv.fetchGraph(t, dir+"new.ttl")
			if !g.has(iri(srv.url(dir+"new.ttl#x")), iri(exNS+"p"), lit("made by PATCH")) {
				t.Errorf("created document:\n%s", g)
			}
			if !srv.children(t, dir)[srv.url(dir+"new.ttl")] {
				t.Errorf("PATCH-created document not listed in %s", dir)
			}
		}
	})

	requirement(t, "server-patch-n3-advertise", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		for _, p := range []string{"/", dir, dir + "r.ttl", dir + "missing.ttl"} {
			for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodOptions} {
				r := srv.do(t, m, p, nil)
				ap := tokens(r.Header, "Accept-Patch")
				if !ap["text/n3"] || !ap["application/sparql-update"] {
					t.Errorf("%s %s (%d): Accept-Patch %v, want text/n3 and application/sparql-update",
						m, p, r.StatusCode, r.Header.Values("Accept-Patch"))
				}
				if !tokens(r.Header, "Allow")["patch"] {
					t.Errorf("%s %s (%d): Allow %v lacks PATCH", m, p, r.StatusCode, r.Header.Values("Allow"))
				}
			}
		}
	})

	// The remaining structural rules make a document invalid: 422 and no change.
	invalid := func(t *testing.T, cases map[string][]byte) {
		t.Helper()
		doc, _ := peopleDoc(t)
		for name, body := range cases {
			srv.refuse(t, doc, ctN3, body, name, http.StatusUnprocessableEntity)
		}
	}

	requirement(t, "server-patch-n3-patches", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"no patch resource":        n3Raw(`<#alice> ex:likes <#cheese> .`),
			"formulae without subject": n3Raw(`<#x> ex:inserts { <#alice> ex:likes <#cheese> } .`),
		})
		// An empty body is no patch document either (400 or 422).
		doc, _ := peopleDoc(t)
		srv.refuse(t, doc, ctN3, []byte(""), "empty body", http.StatusUnprocessableEntity, http.StatusBadRequest)
		srv.refuse(t, doc, ctN3, []byte(n3Prefixes), "only prefixes", http.StatusUnprocessableEntity, http.StatusBadRequest)
	})

	requirement(t, "server-patch-n3-patch-identifier", func(t *testing.T) {
		doc, id := peopleDoc(t)
		for i, subject := range []string{"<#patch>", "<" + srv.url(doc) + "#p2>", "_:p", "[]"} {
			obj := fmt.Sprintf("<#o%d>", i)
			body := n3Raw(subject + " a solid:InsertDeletePatch; solid:inserts { <#alice> ex:likes " + obj + " } .")
			r := srv.patch(t, doc, ctN3, body)
			if !expect(t, r, updated...) {
				continue
			}
			g, _ := srv.fetchGraph(t, doc)
			if !g.has(id("#alice"), iri(exNS+"likes"), id(fmt.Sprintf("#o%d", i))) {
				t.Errorf("patch identified by %s not applied:\n%s", subject, g)
			}
			if g.has(term{}, iri(rdfType), iri(solidNS+"InsertDeletePatch")) {
				t.Errorf("the patch resource itself was stored:\n%s", g)
			}
		}
	})

	// MAY-level: an extra "a solid:Patch" must not make a valid patch invalid.
	requirement(t, "server-patch-n3-type", func(t *testing.T) {
		doc, id := peopleDoc(t)
		body := n3Raw(`_:p a solid:InsertDeletePatch, solid:Patch; solid:inserts { <#carol> ex:age 40 } .`)
		if expect(t, srv.patch(t, doc, ctN3, body), updated...) {
			g, _ := srv.fetchGraph(t, doc)
			if !g.has(id("#carol"), iri(exNS+"age"), intLit("40")) {
				t.Errorf("not applied:\n%s", g)
			}
		}
	})

	requirement(t, "server-patch-n3-deletes", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"two deletes":                  n3Doc(`solid:deletes { <#alice> ex:age 30 }`, `solid:deletes { <#bob> ex:name "Bob" }`),
			"two deletes in one statement": n3Doc(`solid:deletes { <#alice> ex:age 30 }, { <#bob> ex:name "Bob" }`),
		})
	})

	requirement(t, "server-patch-n3-inserts", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"two inserts": n3Doc(`solid:inserts { <#alice> ex:p 1 }`, `solid:inserts { <#alice> ex:p 2 }`),
			"two wheres": n3Doc(`solid:where { ?x ex:name "Alice" }`, `solid:where { ?y ex:name "Bob" }`,
				`solid:inserts { ?x ex:p 1 }`),
		})
	})

	requirement(t, "server-patch-n3-formulae", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"nested formula in inserts": n3Doc(`solid:inserts { <#alice> ex:says { <#bob> ex:p 1 } }`),
			"nested formula in deletes": n3Doc(`solid:deletes { <#alice> ex:says { <#bob> ex:p 1 } }`),
			"nested formula in where":   n3Doc(`solid:where { ?x ex:says { <#bob> ex:p 1 } }`, `solid:inserts { ?x ex:p 2 }`),
			"inserts is a literal":      n3Doc(`solid:inserts "<#alice> ex:p 1 ."`),
			"inserts is an IRI":         n3Doc(`solid:inserts <#alice>`),
			"deletes is a blank node":   n3Doc(`solid:deletes [ ex:p 1 ]`),
		})
		// Absent formulae are empty: deletes alone, inserts alone, and
		// nothing at all are all valid.
		doc, id := peopleDoc(t)
		if expect(t, srv.patch(t, doc, ctN3, n3Doc(`solid:deletes { <#alice> ex:age 30 }`)), updated...) {
			if g, _ := srv.fetchGraph(t, doc); g.has(id("#alice"), iri(exNS+"age"), term{}) {
				t.Errorf("deletes-only patch not applied:\n%s", g)
			}
		}
		expect(t, srv.patch(t, doc, ctN3, n3Doc(`solid:where { <#bob> ex:name "Bob" }`)), updated...)
		expect(t, srv.patch(t, doc, ctN3, n3Doc()), updated...)
		expect(t, srv.patch(t, doc, ctN3, n3Doc(`solid:inserts { }`, `solid:deletes { }`, `solid:where { }`)), updated...)
	})

	requirement(t, "server-patch-n3-single", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"two patch resources": n3Raw(`_:a a solid:InsertDeletePatch; solid:inserts { <#alice> ex:p 1 } .
_:b a solid:InsertDeletePatch; solid:inserts { <#bob> ex:p 2 } .`),
			"parts on two subjects": n3Raw(`_:a a solid:InsertDeletePatch .
_:b solid:inserts { <#alice> ex:p 1 } .`),
			"two IRIs": n3Raw(`<#p1> a solid:InsertDeletePatch; solid:deletes { <#alice> ex:age 30 } .
<#p2> a solid:InsertDeletePatch; solid:inserts { <#alice> ex:age 31 } .`),
		})
	})

	requirement(t, "server-patch-n3-simple-type", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"no type":      n3Raw(`_:p solid:inserts { <#alice> ex:p 1 } .`),
			"only Patch":   n3Raw(`_:p a solid:Patch; solid:inserts { <#alice> ex:p 1 } .`),
			"another type": n3Raw(`_:p a ex:InsertDeletePatch; solid:inserts { <#alice> ex:p 1 } .`),
		})
	})

	requirement(t, "server-patch-n3-variables", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"variable in inserts, no where": n3Doc(`solid:inserts { ?x ex:p 1 }`),
			"variable in deletes, no where": n3Doc(`solid:deletes { ?x ex:age 30 }`),
			"inserts variable not in where": n3Doc(`solid:where { ?x ex:name "Alice" }`, `solid:inserts { ?x ex:friend ?y }`),
			"deletes variable not in where": n3Doc(`solid:where { ?x ex:name "Alice" }`, `solid:deletes { ?x ex:age ?a }`),
		})
		// Variables bound by where are fine in both.
		doc, id := peopleDoc(t)
		r := srv.patch(t, doc, ctN3, n3Doc(`solid:where { ?x ex:name "Alice"; ex:age ?a }`,
			`solid:deletes { ?x ex:age ?a }`, `solid:inserts { ?x ex:oldAge ?a }`))
		if expect(t, r, updated...) {
			g, _ := srv.fetchGraph(t, doc)
			if !g.has(id("#alice"), iri(exNS+"oldAge"), intLit("30")) || g.has(id("#alice"), iri(exNS+"age"), term{}) {
				t.Errorf("bound variables not applied:\n%s", g)
			}
		}
	})

	requirement(t, "server-patch-n3-blank-nodes", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"labelled blank node in deletes":  n3Doc(`solid:deletes { _:b ex:name "Alice" }`),
			"anonymous blank node in deletes": n3Doc(`solid:deletes { [] ex:name "Alice" }`),
			"property list in deletes":        n3Doc(`solid:deletes { <#alice> ex:knows [ ex:name "Bob" ] }`),
		})
		// Blank nodes in inserts are allowed and become new blank nodes.
		doc, id := peopleDoc(t)
		if expect(t, srv.patch(t, doc, ctN3, n3Doc(`solid:inserts { <#alice> ex:pet [ ex:name "Rex" ] }`)), updated...) {
			g, _ := srv.fetchGraph(t, doc)
			pets := g.match(id("#alice"), iri(exNS+"pet"), term{})
			if len(pets) != 1 || pets[0].o.kind != 'B' || !g.has(pets[0].o, iri(exNS+"name"), lit("Rex")) {
				t.Errorf("blank node insert:\n%s", g)
			}
		}
	})

	requirement(t, "server-patch-n3-blank-nodes-syntax", func(t *testing.T) {
		invalid(t, map[string][]byte{
			"same label in where and inserts": n3Doc(`solid:where { ?x ex:knows _:b }`, `solid:inserts { _:b ex:seen true }`),
			"inserts label used outside":      n3Raw("_:p a solid:InsertDeletePatch; solid:inserts { _:b ex:name \"New\" } .\n_:b ex:p ex:o ."),
			"patch label inside inserts":      n3Raw(`_:p a solid:InsertDeletePatch; solid:inserts { _:p ex:name "New" } .`),
			"where label used outside":        n3Raw("_:p a solid:InsertDeletePatch; solid:where { ?x ex:knows _:b }; solid:inserts { ?x ex:p 1 } .\n_:b ex:p ex:o ."),
		})
	})

	requirement(t, "server-patch-n3-invalid", func(t *testing.T) {
		// One case per constraint above, each refused with 422, on a
		// document and on a missing resource (which must stay missing).
		cases := map[string][]byte{
			"no patch":          n3Raw(`<#alice> ex:likes <#cheese> .`),
			"no type":           n3Raw(`_:p solid:inserts { <#alice> ex:p 1 } .`),
			"two deletes":       n3Doc(`solid:deletes { <#alice> ex:age 30 }`, `solid:deletes { <#bob> ex:name "Bob" }`),
			"two inserts":       n3Doc(`solid:inserts { <#alice> ex:p 1 }`, `solid:inserts { <#alice> ex:p 2 }`),
			"nested formula":    n3Doc(`solid:inserts { <#alice> ex:says { <#bob> ex:p 1 } }`),
			"two patches":       n3Raw("_:a a solid:InsertDeletePatch; solid:inserts { <#a> ex:p 1 } .\n_:b a solid:InsertDeletePatch; solid:inserts { <#b> ex:p 2 } ."),
			"free variable":     n3Doc(`solid:inserts { ?x ex:p 1 }`),
			"blank in deletes":  n3Doc(`solid:deletes { _:b ex:name "Alice" }`),
			"shared blank node": n3Doc(`solid:where { ?x ex:knows _:b }`, `solid:inserts { _:b ex:seen true }`),
		}
		invalid(t, cases)
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		for name, body := range cases {
			r := srv.patch(t, dir+"absent.ttl", ctN3, body)
			expect(t, r, http.StatusUnprocessableEntity)
			if g := srv.do(t, http.MethodGet, dir+"absent.ttl", nil); g.StatusCode != http.StatusNotFound {
				t.Errorf("%s: refused patch created the resource: %s", name, g)
			}
		}
		if kids := srv.children(t, dir); len(kids) != 1 {
			t.Errorf("refused patches left resources: %v", kids)
		}
	})

	requirement(t, "server-patch-n3-semantics", func(t *testing.T) {
		doc, id := peopleDoc(t)
		r := srv.patch(t, doc, ctN3, n3Doc(
			`solid:where { ?x ex:name "Alice"; ex:age ?a; ex:knows ?f }`,
			`solid:deletes { ?x ex:age ?a }`,
			`solid:inserts { ?x ex:age 31; ex:previousAge ?a. ?f ex:knownBy ?x }`))
		mustStatus(t, r, updated...)
		want := graph{
			{id("#alice"), iri(exNS + "name"), lit("Alice")},
			{id("#alice"), iri(exNS + "age"), intLit("31")},
			{id("#alice"), iri(exNS + "previousAge"), intLit("30")},
			{id("#alice"), iri(exNS + "knows"), id("#bob")},
			{id("#bob"), iri(exNS + "name"), lit("Bob")},
			{id("#bob"), iri(exNS + "knows"), id("#carol")},
			{id("#bob"), iri(exNS + "knownBy"), id("#alice")},
			{id("#carol"), iri(exNS + "name"), lit("Carol")},
		}
		got, _ := srv.fetchGraph(t, doc)
		if !groundEqual(got, want) {
			t.Errorf("after patch:\nwant:\n%s\ngot:\n%s", want, got)
		}
		// Inserting a triple that is already there and a ground where that
		// matches: set semantics, no duplicates.
		r = srv.patch(t, doc, ctN3, n3Doc(`solid:where { <#carol> ex:name "Carol" }`,
			`solid:inserts { <#carol> ex:name "Carol". <#bob> ex:name "Bob" }`))
		mustStatus(t, r, updated...)
		if got, _ = srv.fetchGraph(t, doc); !groundEqual(got, want) {
			t.Errorf("re-inserting present triples changed the graph:\nwant:\n%s\ngot:\n%s", want, got)
		}
		// Deletes then inserts: deleting and inserting the same triple keeps it.
		r = srv.patch(t, doc, ctN3, n3Doc(`solid:deletes { <#carol> ex:name "Carol" }`, `solid:inserts { <#carol> ex:name "Carol" }`))
		mustStatus(t, r, updated...)
		if got, _ = srv.fetchGraph(t, doc); !groundEqual(got, want) {
			t.Errorf("delete+insert of one triple:\nwant:\n%s\ngot:\n%s", want, got)
		}
		// Literals keep datatype and language through a variable binding.
		srv.put(t, doc, ctTurtle, []byte(`@prefix ex: <http://example.org/>.
<#x> ex:label "hei"@fi; ex:when "2024-01-02"^^<http://www.w3.org/2001/XMLSchema#date>.`))
		r = srv.patch(t, doc, ctN3, n3Doc(`solid:where { <#x> ex:label ?l; ex:when ?w }`, `solid:inserts { <#y> ex:label ?l; ex:when ?w }`))
		mustStatus(t, r, updated...)
		got, _ = srv.fetchGraph(t, doc)
		if !got.has(id("#y"), iri(exNS+"label"), term{kind: 'L', value: "hei", lang: "fi"}) ||
			!got.has(id("#y"), iri(exNS+"when"), term{kind: 'L', value: "2024-01-02", dt: xsdNS + "date"}) {
			t.Errorf("bound literals lost datatype or language:\n%s", got)
		}
	})

	requirement(t, "server-patch-n3-semantics-no-mapping", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for name, body := range map[string][]byte{
			"no match":                n3Doc(`solid:where { ?x ex:name "Dave" }`, `solid:inserts { ?x ex:p 1 }`),
			"ground where, absent":    n3Doc(`solid:where { <#alice> ex:age 99 }`, `solid:inserts { <#alice> ex:p 1 }`),
			"two matches":             n3Doc(`solid:where { ?x ex:knows ?y }`, `solid:inserts { ?x ex:p 1 }`),
			"three matches":           n3Doc(`solid:where { ?x ex:name ?n }`, `solid:deletes { ?x ex:name ?n }`),
			"two matches, one var":    n3Doc(`solid:where { ?x ex:knows ?y }`, `solid:inserts { <#alice> ex:p 1 }`),
			"join without a solution": n3Doc(`solid:where { ?x ex:knows ?y. ?y ex:age ?a }`, `solid:inserts { ?x ex:p ?a }`),
		} {
			srv.refuse(t, doc, ctN3, body, name, http.StatusConflict)
		}
		// A missing resource has no triples: any where fails, nothing is created.
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		expect(t, srv.patch(t, dir+"absent.ttl", ctN3, n3Doc(`solid:where { ?x ex:p ?y }`, `solid:inserts { ?x ex:q ?y }`)), http.StatusConflict)
		expect(t, srv.do(t, http.MethodGet, dir+"absent.ttl", nil), http.StatusNotFound)
	})

	requirement(t, "server-patch-n3-semantics-deletions-non-empty-all-triples", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for name, body := range map[string][]byte{
			"absent triple":           n3Doc(`solid:deletes { <#alice> ex:age 99 }`),
			"one present, one absent": n3Doc(`solid:deletes { <#alice> ex:age 30. <#alice> ex:age 99 }`),
			"absent with inserts":     n3Doc(`solid:deletes { <#bob> ex:age 1 }`, `solid:inserts { <#bob> ex:age 2 }`),
			"bound but absent":        n3Doc(`solid:where { ?x ex:name "Alice" }`, `solid:deletes { ?x ex:name "Bob" }`, `solid:inserts { ?x ex:p 1 }`),
			"typed literal mismatch":  n3Doc(`solid:deletes { <#alice> ex:age "30" }`),
		} {
			srv.refuse(t, doc, ctN3, body, name, http.StatusConflict)
		}
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		expect(t, srv.patch(t, dir+"absent.ttl", ctN3, n3Doc(`solid:deletes { <#a> ex:p 1 }`, `solid:inserts { <#a> ex:p 2 }`)), http.StatusConflict)
		expect(t, srv.do(t, http.MethodGet, dir+"absent.ttl", nil), http.StatusNotFound)
	})

	requirement(t, "server-put-patch-intermediate-containers", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("seed"))
		leaf := dir + "a/b/c/leaf.ttl"
		r := srv.patch(t, leaf, ctN3, n3Doc(`solid:inserts { <#it> ex:made "by PATCH" }`))
		mustStatus(t, r, http.StatusCreated)
		chain := []string{dir, dir + "a/", dir + "a/b/", dir + "a/b/c/", leaf}
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
		// SPARQL Update creates them the same way.
		r = srv.patch(t, dir+"x/y/z.ttl", ctSPARQL, []byte(`INSERT DATA { <#it> <`+exNS+`p> "sparql" }`))
		if expect(t, r, http.StatusCreated) && !srv.children(t, dir+"x/y/")[srv.url(dir+"x/y/z.ttl")] {
			t.Errorf("%sx/y/ does not list z.ttl", dir)
		}
		// A document in the path is a conflict and nothing is made.
		expect(t, srv.patch(t, dir+"seed.txt/deeper/doc.ttl", ctN3, n3Doc(`solid:inserts { <#a> ex:p 1 }`)), http.StatusConflict)
		if r := srv.do(t, http.MethodGet, dir+"seed.txt", nil); string(r.body) != "seed" {
			t.Errorf("document in the path changed: %s", r)
		}
	})

	requirement(t, "server-put-patch-auxiliary-resource", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"r.ttl", ctTurtle, []byte(`<#a> <#b> <#c> .`))
		h := srv.do(t, http.MethodHead, dir+"r.ttl", nil)
		metas, acls := linkTargets(h, "describedby"), linkTargets(h, "acl")
		if len(metas) != 1 || len(acls) != 1 {
			t.Fatalf("aux links: %v", h.Header.Values("Link"))
		}
		meta, acl := metas[0], acls[0]
		r := srv.patch(t, meta, ctN3, n3Doc(`solid:inserts { <r.ttl> dc:title "one" }`))
		mustStatus(t, r, http.StatusCreated)
		r = srv.patch(t, meta, ctN3, n3Doc(`solid:deletes { <r.ttl> dc:title "one" }`, `solid:inserts { <r.ttl> dc:title "two" }`))
		mustStatus(t, r, updated...)
		g, _ := srv.fetchGraph(t, meta)
		if !g.has(iri(srv.url(dir+"r.ttl")), iri(dctermsNS+"title"), lit("two")) || g.has(term{}, term{}, lit("one")) {
			t.Errorf("description resource not patched:\n%s", g)
		}
		r = srv.patch(t, acl, ctN3, n3Doc(`solid:inserts {
  <#o> a <http://www.w3.org/ns/auth/acl#Authorization>;
    <http://www.w3.org/ns/auth/acl#agentClass> <http://xmlns.com/foaf/0.1/Agent>;
    <http://www.w3.org/ns/auth/acl#accessTo> <r.ttl>;
    <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#Read>, <http://www.w3.org/ns/auth/acl#Write>, <http://www.w3.org/ns/auth/acl#Control> }`))
		mustStatus(t, r, http.StatusCreated)
		r = srv.patch(t, acl, ctSPARQL, []byte(`INSERT DATA { <#o> <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#Append> }`))
		mustStatus(t, r, updated...)
		g, _ = srv.fetchGraph(t, acl)
		if !g.has(iri(acl+"#o"), iri("http://www.w3.org/ns/auth/acl#mode"), iri("http://www.w3.org/ns/auth/acl#Append")) {
			t.Errorf("ACL not patched:\n%s", g)
		}
		if kids := srv.children(t, dir); len(kids) != 1 {
			t.Errorf("auxiliary resources listed as children: %v", kids)
		}
	})

	// PATCH half of server-content-type-missing: a body without
	// Content-Type is 400.
	requirement(t, "server-content-type-missing", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		before := srv.snapshot(t, doc)
		expect(t, srv.do(t, http.MethodPatch, doc, n3Doc(`solid:inserts { <#a> ex:p 1 }`)), http.StatusBadRequest)
		srv.unchanged(t, doc, before, "PATCH without Content-Type")
	})

	// PATCH half of server-protect-containment.
	requirement(t, "server-protect-containment", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		for name, c := range map[string]struct{ ct, body string }{
			"n3 insert ghost":      {ctN3, string(n3Doc(`solid:inserts { <> ldp:contains <ghost.txt> }`))},
			"n3 insert real":       {ctN3, string(n3Doc(`solid:inserts { <> ldp:contains <a.txt> }`))},
			"n3 delete real":       {ctN3, string(n3Doc(`solid:deletes { <> ldp:contains <a.txt> }`))},
			"n3 where then delete": {ctN3, string(n3Doc(`solid:where { <> ldp:contains ?c }`, `solid:deletes { <> ldp:contains ?c }`))},
			"sparql insert":        {ctSPARQL, `INSERT DATA { <> <` + ldpNS + `contains> <ghost.txt> }`},
			"sparql delete":        {ctSPARQL, `DELETE DATA { <> <` + ldpNS + `contains> <a.txt> }`},
		} {
			srv.refuse(t, dir, c.ct, []byte(c.body), name, http.StatusConflict)
		}
		kids := srv.children(t, dir)
		if len(kids) != 1 || !kids[srv.url(dir+"a.txt")] {
			t.Errorf("containment changed: %v", kids)
		}
		expect(t, srv.do(t, http.MethodGet, dir+"ghost.txt", nil), http.StatusNotFound)
		expect(t, srv.do(t, http.MethodGet, dir+"a.txt", nil), http.StatusOK)
	})

	// A where formula matches the document as clients see it, server-managed
	// statements included: containment in a container, the subject's
	// metadata in a description resource. Reading them changes nothing.
	requirement(t, "patch-where-sees-server-managed-triples", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		r := srv.patch(t, dir, ctN3, n3Doc(`solid:where { <> ldp:contains <a.txt> }`, `solid:inserts { <> dc:title "has a" }`))
		if expect(t, r, updated...) {
			if g, _ := srv.fetchGraph(t, dir); !g.has(iri(srv.url(dir)), iri(dctermsNS+"title"), lit("has a")) {
				t.Errorf("not applied:\n%s", g)
			}
		}
		r = srv.patch(t, dir, ctN3, n3Doc(`solid:where { <> ldp:contains ?c }`, `solid:inserts { <> ex:first ?c }`))
		if expect(t, r, updated...) {
			if g, _ := srv.fetchGraph(t, dir); !g.has(iri(srv.url(dir)), iri(exNS+"first"), iri(srv.url(dir+"a.txt"))) {
				t.Errorf("containment binding not applied:\n%s", g)
			}
		}
		r = srv.patch(t, dir, ctSPARQL, []byte(`INSERT { <> <`+exNS+`child> ?c } WHERE { <> <`+ldpNS+`contains> ?c }`))
		if expect(t, r, updated...) {
			if g, _ := srv.fetchGraph(t, dir); !g.has(iri(srv.url(dir)), iri(exNS+"child"), iri(srv.url(dir+"a.txt"))) {
				t.Errorf("SPARQL WHERE over containment not applied:\n%s", g)
			}
		}
		meta := metaOf(t, srv, dir+"a.txt")
		r = srv.patch(t, meta, ctN3, n3Doc(`solid:where { <a.txt> posix:size ?s }`, `solid:inserts { <a.txt> ex:sizeWhenNoted ?s }`))
		if expect(t, r, http.StatusCreated, http.StatusOK, http.StatusNoContent, http.StatusResetContent) {
			g, _ := srv.fetchGraph(t, meta)
			noted := g.match(iri(srv.url(dir+"a.txt")), iri(exNS+"sizeWhenNoted"), term{})
			if len(noted) != 1 || noted[0].o.value != "1" {
				t.Errorf("where over server-managed metadata:\n%s", g)
			}
		}
	})

	// PATCH half of server-protect-contained-resource-metadata.
	requirement(t, "server-protect-contained-resource-metadata", func(t *testing.T) {
		dir := fresh(t.Name())
		srv.put(t, dir+"a.txt", "text/plain", []byte("a"))
		for name, body := range map[string][]byte{
			"modified": n3Doc(`solid:inserts { <a.txt> dc:modified "2001-01-01T00:00:00Z"^^xsd:dateTime }`),
			"size":     n3Doc(`solid:inserts { <a.txt> posix:size 999 }`),
			"type":     n3Doc(`solid:inserts { <a.txt> a ldp:Container }`),
		} {
			srv.refuse(t, dir, ctN3, body, name, http.StatusConflict)
		}
	})

	requirement(t, "patch-unsupported-media-type", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for _, ct := range []string{ctTurtle, "application/json", "text/plain", "application/json-patch+json", "text/n3x"} {
			srv.refuse(t, doc, ct, n3Doc(`solid:inserts { <#a> ex:p 1 }`), "Content-Type "+ct, http.StatusUnsupportedMediaType)
		}
		// A non-RDF target cannot be patched, in either language.
		dir := fresh(t.Name())
		srv.put(t, dir+"b.bin", "application/octet-stream", []byte{1, 2, 3})
		for _, c := range []struct{ ct, body string }{
			{ctN3, string(n3Doc(`solid:inserts { <#a> ex:p 1 }`))},
			{ctSPARQL, `INSERT DATA { <#a> <` + exNS + `p> 1 }`},
		} {
			expect(t, srv.patch(t, dir+"b.bin", c.ct, []byte(c.body)), http.StatusUnsupportedMediaType)
		}
		if r := srv.do(t, http.MethodGet, dir+"b.bin", nil); string(r.body) != "\x01\x02\x03" || mediaType(r) != "application/octet-stream" {
			t.Errorf("binary changed by a refused PATCH: %s", r)
		}
	})

	requirement(t, "patch-syntax-error", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for name, body := range map[string][]byte{
			"unterminated formula": n3Doc(`solid:inserts { <#a> ex:p 1 `),
			"missing dot":          []byte(n3Prefixes + `_:p a solid:InsertDeletePatch; solid:inserts { <#a> ex:p 1 }`),
			"unknown prefix":       n3Doc(`solid:inserts { <#a> nope:p 1 }`),
			"garbage":              []byte("}{ not n3 at all"),
			"bad utf-8":            n3Doc("solid:inserts { <#a> ex:p \"\xff\xfe\" }"),
		} {
			srv.refuse(t, doc, ctN3, body, name, http.StatusBadRequest)
		}
	})

	requirement(t, "patch-conditional-requests", func(t *testing.T) {
		doc, id := peopleDoc(t)
		before := srv.snapshot(t, doc)
		r := srv.patch(t, doc, ctN3, n3Doc(`solid:inserts { <#a> ex:p 1 }`), "If-Match", `"not-the-etag"`)
		expect(t, r, http.StatusPreconditionFailed)
		srv.unchanged(t, doc, before, "PATCH If-Match mismatch")
		r = srv.patch(t, doc, ctN3, n3Doc(`solid:inserts { <#a> ex:p 1 }`), "If-None-Match", "*")
		expect(t, r, http.StatusPreconditionFailed)
		srv.unchanged(t, doc, before, "PATCH If-None-Match * on an existing resource")
		// The Turtle ETag, which a client has seen, lets the PATCH through.
		tt := srv.do(t, http.MethodGet, doc, nil, "Accept", ctTurtle).Header.Get("ETag")
		r = srv.patch(t, doc, ctN3, n3Doc(`solid:inserts { <#alice> ex:p 1 }`), "If-Match", tt)
		if expect(t, r, updated...) {
			if g, _ := srv.fetchGraph(t, doc); !g.has(id("#alice"), iri(exNS+"p"), intLit("1")) {
				t.Errorf("conditional PATCH not applied:\n%s", g)
			}
		}
	})

	requirement(t, "patch-atomic-concurrent", func(t *testing.T) {
		doc, id := peopleDoc(t)
		// Ten patches, each inserting its own triple, at the same moment:
		// all succeed and none is lost.
		const n = 10
		var wg sync.WaitGroup
		codes := make([]int, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				r, err := srv.try(http.MethodPatch, doc, n3Doc(fmt.Sprintf(`solid:inserts { <#alice> ex:n%d %d }`, i, i)), "Content-Type", ctN3)
				if err != nil {
					errs[i] = err
					return
				}
				codes[i] = r.StatusCode
			}(i)
		}
		close(start)
		wg.Wait()
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Errorf("patch %d: %v", i, errs[i])
			} else if codes[i]/100 != 2 {
				t.Errorf("patch %d: status %d", i, codes[i])
			}
		}
		g, _ := srv.fetchGraph(t, doc)
		for i := 0; i < n; i++ {
			if !g.has(id("#alice"), iri(fmt.Sprintf("%sn%d", exNS, i)), intLit(fmt.Sprint(i))) {
				t.Errorf("triple %d lost:\n%s", i, g)
			}
		}
		// Ten patches that each delete the same triple: exactly one wins,
		// the others find it gone (409), and one replacement remains.
		for i := range codes {
			codes[i], errs[i] = 0, nil
		}
		start = make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				body := n3Doc(`solid:deletes { <#carol> ex:name "Carol" }`, fmt.Sprintf(`solid:inserts { <#carol> ex:name "Carol %d" }`, i))
				r, err := srv.try(http.MethodPatch, doc, body, "Content-Type", ctN3)
				if err != nil {
					errs[i] = err
					return
				}
				codes[i] = r.StatusCode
			}(i)
		}
		close(start)
		wg.Wait()
		wins := 0
		for i := 0; i < n; i++ {
			switch {
			case errs[i] != nil:
				t.Errorf("patch %d: %v", i, errs[i])
			case codes[i]/100 == 2:
				wins++
			case codes[i] != http.StatusConflict:
				t.Errorf("racing delete %d: status %d, want 2xx or 409", i, codes[i])
			}
		}
		if wins != 1 {
			t.Errorf("%d racing patches deleted the same triple, want exactly 1 (%v)", wins, codes)
		}
		g, _ = srv.fetchGraph(t, doc)
		if names := g.match(id("#carol"), iri(exNS+"name"), term{}); len(names) != 1 {
			t.Errorf("want one name for carol, got %v", names)
		}
	})
}
