package conformance

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// SECURITY.md rows 17–19: patches.

// loopbackTrap listens on a loopback port and counts every connection
// attempt; nothing in the suite should ever make the server dial it.
type loopbackTrap struct {
	l    net.Listener
	hits atomic.Int64
}

func newTrap(t *testing.T) *loopbackTrap {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tr := &loopbackTrap{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			tr.hits.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return tr
}

func (tr *loopbackTrap) url(p string) string { return "http://" + tr.l.Addr().String() + p }

func TestSecurityPatch(t *testing.T) {
	requirement(t, "security-row-17-patch-conflicts", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for name, body := range map[string][]byte{
			"where matches 0":     n3Doc(`solid:where { ?x ex:name "Nobody" }`, `solid:deletes { ?x ex:name "Nobody" }`),
			"where matches 2":     n3Doc(`solid:where { ?x ex:knows ?y }`, `solid:deletes { ?x ex:knows ?y }`),
			"where matches 3":     n3Doc(`solid:where { ?x ex:name ?n }`, `solid:inserts { ?x ex:seen true }`),
			"deletes absent":      n3Doc(`solid:deletes { <#alice> ex:name "Bob" }`, `solid:inserts { <#alice> ex:name "Eve" }`),
			"deletes half absent": n3Doc(`solid:deletes { <#alice> ex:name "Alice". <#alice> ex:name "Bob" }`),
		} {
			srv.refuse(t, doc, ctN3, body, name, http.StatusConflict)
		}
	})

	requirement(t, "security-row-18-invalid-patches", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		for name, body := range map[string][]byte{
			"variable only in inserts": n3Doc(`solid:inserts { ?x ex:name "Eve" }`),
			"variable only in deletes": n3Doc(`solid:where { <#alice> ex:name ?n }`, `solid:deletes { ?x ex:name ?n }`),
			"blank node in deletes":    n3Doc(`solid:deletes { _:x ex:name "Alice" }`),
			"two patches":              n3Raw("_:a a solid:InsertDeletePatch; solid:deletes { <#alice> ex:age 30 } .\n_:b a solid:InsertDeletePatch; solid:inserts { <#alice> ex:age 31 } ."),
		} {
			srv.refuse(t, doc, ctN3, body, name, http.StatusUnprocessableEntity)
		}
	})

	requirement(t, "security-row-19-sparql-outbound", func(t *testing.T) {
		doc, _ := peopleDoc(t)
		trap := newTrap(t)
		for name, c := range map[string]struct {
			body string
			want []int
		}{
			"LOAD":          {`LOAD <` + trap.url("/x") + `>`, []int{http.StatusNotImplemented}},
			"LOAD SILENT":   {`LOAD SILENT <` + trap.url("/x") + `> INTO GRAPH <` + srv.url(doc) + `>`, []int{http.StatusNotImplemented}},
			"SERVICE":       {`INSERT { <#a> <http://e/p> ?o } WHERE { SERVICE <` + trap.url("/sparql") + `> { ?s ?p ?o } }`, []int{http.StatusNotImplemented, http.StatusBadRequest}},
			"SERVICE DEL":   {`DELETE { ?s ?p ?o } WHERE { SERVICE SILENT <` + trap.url("/sparql") + `> { ?s ?p ?o } }`, []int{http.StatusNotImplemented, http.StatusBadRequest}},
			"USING":         {`DELETE { ?s ?p ?o } USING <` + trap.url("/g") + `> WHERE { ?s ?p ?o }`, []int{http.StatusNotImplemented, http.StatusBadRequest}},
			"USING NAMED":   {`INSERT { <#a> <http://e/p> ?o } USING NAMED <` + trap.url("/g") + `> WHERE { GRAPH ?g { ?s ?p ?o } }`, []int{http.StatusNotImplemented, http.StatusBadRequest}},
			"WITH":          {`WITH <` + trap.url("/g") + `> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }`, []int{http.StatusNotImplemented, http.StatusBadRequest}},
			"GRAPH in DATA": {`INSERT DATA { GRAPH <` + trap.url("/g") + `> { <#a> <http://e/p> 1 } }`, []int{http.StatusNotImplemented, http.StatusBadRequest}},
		} {
			start := time.Now()
			srv.refuse(t, doc, ctSPARQL, []byte(c.body), name, c.want...)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s: took %v", name, d)
			}
		}
		time.Sleep(200 * time.Millisecond)
		if n := trap.hits.Load(); n != 0 {
			t.Errorf("the server connected to the loopback trap %d times", n)
		}
	})

	requirement(t, "security-row-19-exploding-where", func(t *testing.T) {
		dir := fresh(t.Name())
		doc := dir + "big.nt"
		var sb strings.Builder
		for i := 0; i < 300; i++ {
			fmt.Fprintf(&sb, "<http://e/s%d> <http://e/p%d> \"o%d\" .\n", i, i%7, i)
		}
		srv.put(t, doc, ctNTriples, []byte(sb.String()))
		for name, c := range map[string]struct{ ct, body string }{
			"sparql 3-way cross product": {ctSPARQL, `DELETE { ?a ?b ?c } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }`},
			"sparql 4-way insert":        {ctSPARQL, `INSERT { ?a <http://e/q> ?j } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }`},
			// The N3 where must match exactly once, so an exploding one
			// is 409 (or refused as too costly), quickly either way.
			"n3 cross product": {ctN3, string(n3Doc(`solid:where { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }`, `solid:inserts { ?a ex:x ?i }`))},
		} {
			want := []int{http.StatusBadRequest}
			if c.ct == ctN3 {
				want = []int{http.StatusConflict, http.StatusBadRequest, http.StatusUnprocessableEntity}
			}
			start := time.Now()
			before := srv.snapshot(t, doc)
			r, err := srv.try(http.MethodPatch, doc, []byte(c.body), "Content-Type", c.ct)
			took := time.Since(start)
			if err != nil {
				t.Errorf("%s: %v (after %v)", name, err, took)
				continue
			}
			expect(t, r, want...)
			if took > 5*time.Second {
				t.Errorf("%s: took %v", name, took)
			}
			srv.unchanged(t, doc, before, name)
		}
		expect(t, srv.do(t, http.MethodGet, "/.naamio/health", nil), http.StatusOK)
		// A join that is small stays allowed.
		r := srv.patch(t, doc, ctSPARQL, []byte(`INSERT { ?a <http://e/q> "hit" } WHERE { ?a <http://e/p0> "o0" . ?a ?b ?c }`))
		expect(t, r, updated...)
	})
}
