package conformance

import (
	"net/http"
	"testing"
)

// SPARQL Update PATCH (application/sparql-update): the language most Solid
// clients (SolidOS/rdflib, older apps) still send. Only the forms that
// change one document are supported; everything that would reach outside
// it (LOAD, SERVICE, graph management) is 501.

const sparqlPrefix = "PREFIX ex: <http://example.org/>\n"

func TestSPARQLUpdate(t *testing.T) {
	requirement(t, "sparql-insert-data", func(t *testing.T) {
		doc, id := peopleDoc(t)
		before := srv.snapshot(t, doc)
		r := srv.patch(t, doc, ctSPARQL, []byte(sparqlPrefix+`INSERT DATA { <#alice> ex:likes <#cheese>, "tea"@en . <`+srv.url(doc)+`#bob> ex:age 25 }`))
		mustStatus(t, r, updated...)
		g, _ := srv.fetchGraph(t, doc)
		for _, want := range []triple{
			{id("#alice"), iri(exNS + "likes"), id("#cheese")},
			{id("#alice"), iri(exNS + "likes"), term{kind: 'L', value: "tea", lang: "en"}},
			{id("#bob"), iri(exNS + "age"), intLit("25")},
		} {
			if !g.has(want.s, want.p, want.o) {
				t.Errorf("missing %s:\n%s", want, g)
			}
		}
		if len(g) != len(before.g)+3 {
			t.Errorf("want %d triples, got %d", len(before.g)+3, len(g))
		}
		// charset parameter and a missing resource (created: 201).
		dir := fresh(t.Name())
		srv.put(t, dir+"seed.txt", "text/plain", []byte("s"))
		r = srv.patch(t, dir+"new.ttl", ctSPARQL+"; charset=utf-8", []byte(sparqlPrefix+`INSERT DATA { <#x> ex:p "new" }`))
		if expect(t, r, http.StatusCreated) {
			if g, _ := srv.fetchGraph(t, dir+"new.ttl"); !g.has(iri(srv.url(dir+"new.ttl#x")), iri(exNS+"p"), lit("new")) {
				t.Errorf("created by SPARQL:\n%s", g)
			}
		}
	})

	requirement(t, "sparql-delete-data", func(t *testing.T) {
		doc, id := peopleDoc(t)
		r := srv.patch(t, doc, ctSPARQL, []byte(sparqlPrefix+`DELETE DATA { <#alice> ex:age 30 . <#carol> ex:name "Carol" }`))
		mustStatus(t, r, updated...)
		g, _ := srv.fetchGraph(t, doc)
		if g.has(id("#alice"), iri(exNS+"age"), term{}) || g.has(id("#carol"), term{}, term{}) {
			t.Errorf("not deleted:\n%s", g)
		}
		// Deleting an absent triple is a conflict, and nothing changes.
		srv.refuse(t, doc, ctSPARQL, []byte(sparqlPrefix+`DELETE DATA { <#alice> ex:age 30 }`), "absent triple", http.StatusConflict)
		srv.refuse(t, doc, ctSPARQL, []byte(sparqlPrefix+`DELETE DATA { <#bob> ex:name "Bob" . <#bob> ex:name "Robert" }`), "one absent of two", http.StatusConflict)
	})

	// rdflib.js (SolidOS) sends DELETE DATA and INSERT DATA as one request
	// of two operations.
	requirement(t, "sparql-delete-insert-data-sequence", func(t *testing.T) {
		doc, id := peopleDoc(t)
		r := srv.patch(t, doc, ctSPARQL, []byte(sparqlPrefix+"DELETE DATA { <#alice> ex:age 30 . }\n;\nINSERT DATA { <#alice> ex:age 31 . }\n"))
		mustStatus(t, r, updated...)
		g, _ := srv.fetchGraph(t, doc)
		if !g.has(id("#alice"), iri(exNS+"age"), intLit("31")) || g.has(id("#alice"), iri(exNS+"age"), intLit("30")) {
			t.Errorf("sequence not applied:\n%s", g)
		}
		// If the delete fails, the insert of the same request is not applied.
		srv.refuse(t, doc, ctSPARQL, []byte(sparqlPrefix+"DELETE DATA { <#alice> ex:age 99 . } ;\nINSERT DATA { <#alice> ex:age 100 . }"),
			"failed first operation", http.StatusConflict)
	})

	requirement(t, "sparql-delete-insert-where", func(t *testing.T) {
		doc, id := peopleDoc(t)
		r := srv.patch(t, doc, ctSPARQL, []byte(sparqlPrefix+`DELETE { ?x ex:age ?a } INSERT { ?x ex:age 31 ; ex:previousAge ?a } WHERE { ?x ex:name "Alice" ; ex:age ?a }`))
		mustStatus(t, r, updated...)
		g, _ := srv.fetchGraph(t, doc)
		if !g.has(id("#alice"), iri(exNS+"age"), intLit("31")) || !g.has(id("#alice"), iri(exNS+"previousAge"), intLit("30")) ||
			g.has(id("#alice"), iri(exNS+"age"), intLit("30")) {
			t.Errorf("DELETE/INSERT WHERE:\n%s", g)
		}
		// INSERT … WHERE without DELETE.
		r = srv.patch(t, doc, ctSPARQL, []byte(sparqlPrefix+`INSERT { ?y ex:knownBy ?x } WHERE { ?x ex:name "Alice" ; ex:knows ?y }`))
		if expect(t, r, updated...) {
			if g, _ = srv.fetchGraph(t, doc); !g.has(id("#bob"), iri(exNS+"knownBy"), id("#alice")) {
				t.Errorf("INSERT WHERE:\n%s", g)
			}
		}
		// SPARQL semantics: every solution applies (two ex:knows here).
		r = srv.patch(t, doc, ctSPARQL, []byte(sparqlPrefix+`DELETE { ?x ex:knows ?y } INSERT { ?x ex:follows ?y } WHERE { ?x ex:knows ?y }`))
		if expect(t, r, updated...) {
			g, _ = srv.fetchGraph(t, doc)
			if len(g.match(term{}, iri(exNS+"knows"), term{})) != 0 || len(g.match(term{}, iri(exNS+"follows"), term{})) != 2 {
				t.Errorf("multi-solution DELETE/INSERT:\n%s", g)
			}
		}
	})

	requirement(t, "sparql-syntax-error", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for name, body := range map[string]string{
			"missing object":       `INSERT DATA { <#a> <#b> }`,
			"garbage":              `this is not SPARQL`,
			"variable in DATA":     `INSERT DATA { ?x <http://example.org/p> 1 }`,
			"blank in DELETE DATA": `DELETE DATA { _:b <http://example.org/p> 1 }`,
			"unknown prefix":       `INSERT DATA { <#a> nope:p 1 }`,
			"unterminated":         `INSERT DATA { <#a> <#b> "x" `,
		} {
			srv.refuse(t, doc, ctSPARQL, []byte(body), name, http.StatusBadRequest)
		}
		// A query is not an update: 400 (or 501, "not an update we run").
		srv.refuse(t, doc, ctSPARQL, []byte(`SELECT * WHERE { ?s ?p ?o }`), "query, not update", http.StatusBadRequest, http.StatusNotImplemented)
		// The empty request is a valid SPARQL Update (Update ::= Prologue
		// ( Update1 … )?) that changes nothing.
		before := srv.snapshot(t, doc)
		expect(t, srv.patch(t, doc, ctSPARQL, []byte("PREFIX ex: <http://example.org/>\n")), append(updated, http.StatusBadRequest)...)
		srv.unchanged(t, doc, before, "empty update")
	})

	requirement(t, "sparql-unsupported-operations", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for name, body := range map[string]string{
			"LOAD":   `LOAD <http://127.0.0.1:9/data.ttl>`,
			"CLEAR":  `CLEAR DEFAULT`,
			"DROP":   `DROP ALL`,
			"CREATE": `CREATE GRAPH <http://example.org/g>`,
			"ADD":    `ADD DEFAULT TO <http://example.org/g>`,
			"MOVE":   `MOVE DEFAULT TO <http://example.org/g>`,
			"COPY":   `COPY DEFAULT TO <http://example.org/g>`,
		} {
			srv.refuse(t, doc, ctSPARQL, []byte(body), name, http.StatusNotImplemented)
		}
	})
}
