package ldp_test

import (
	"strings"
	"testing"

	"github.com/naamio/naamio/rdf"
)

// Issue 10 item 4 (SECURITY row 4, Solid Protocol server-protect-containment):
// containment is the server's alone. ldp:contains in client data of a
// container is refused with 409 whatever its subject — the container in
// any spelling, another resource, a blank node — by N3 PATCH, SPARQL
// PATCH, PUT and POST, and nothing forged appears in the listing.
func TestContainmentCannotBeForged(t *testing.T) {
	srv := newPod(t)
	if r := put(t, srv, "/inbox/", "text/turtle", ""); r.StatusCode != 201 {
		t.Fatalf("PUT /inbox/ = %d", r.StatusCode)
	}
	const contains = "<http://www.w3.org/ns/ldp#contains>"
	const forged = "<" + base + "inbox/forged>"
	subjects := map[string]string{
		"exact":              "<" + base + "inbox/>",
		"relative":           "<>",
		"no slash":           "<" + base + "inbox>",
		"upper-case host":    "<http://POD.EXAMPLE/inbox/>",
		"upper-case scheme":  "<HTTP://pod.example/inbox/>",
		"default port":       "<http://pod.example:80/inbox/>",
		"encoded unreserved": "<" + base + "%69nbox/>",
		"dot segment":        "<" + base + "inbox/./>",
		"encoded dot":        "<" + base + "inbox/%2E/>",
		"dot-dot segment":    "<" + base + "x/../inbox/>",
		"blank node":         "_:b",
		"other resource":     "<" + base + "other/>",
		"foreign IRI":        "<http://elsewhere.example/inbox/>",
	}
	for name, s := range subjects {
		triple := s + " " + contains + " " + forged + " ."
		n3 := "@prefix solid: <http://www.w3.org/ns/solid/terms#> . _:p a solid:InsertDeletePatch ; solid:inserts { " + triple + " } ."
		cases := []struct {
			op string
			r  req
		}{
			{"n3 patch", req{method: "PATCH", path: "/inbox/", body: n3, header: map[string]string{"Content-Type": "text/n3"}}},
			{"put", req{method: "PUT", path: "/inbox/", body: triple, header: ttl("")}},
			{"post container", req{method: "POST", path: "/", body: triple, header: map[string]string{
				"Content-Type": "text/turtle", "Slug": "made", "Link": `<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"`}}},
		}
		if s != "_:b" { // SPARQL INSERT DATA allows blank nodes too, but N3 covers them
			cases = append(cases, struct {
				op string
				r  req
			}{"sparql patch", req{method: "PATCH", path: "/inbox/", body: "INSERT DATA { " + triple + " }",
				header: map[string]string{"Content-Type": "application/sparql-update"}}})
		}
		for _, c := range cases {
			t.Run(c.op+"/"+name, func(t *testing.T) {
				if r := do(t, srv, c.r); r.StatusCode != 409 {
					t.Fatalf("%s = %d %s, want 409", c.op, r.StatusCode, readAll(t, r))
				}
			})
		}
	}
	// A variable predicate is judged by its effect.
	t.Run("n3 patch with variable predicate", func(t *testing.T) {
		n3 := `@prefix solid: <http://www.w3.org/ns/solid/terms#> .
_:p a solid:InsertDeletePatch ; solid:where { <> ?p <http://www.w3.org/ns/ldp#BasicContainer> } ;
  solid:inserts { <` + base + `%69nbox> <http://www.w3.org/ns/ldp#contains> <forged> . } .`
		if r := do(t, srv, req{method: "PATCH", path: "/inbox/", body: n3, header: map[string]string{"Content-Type": "text/n3"}}); r.StatusCode != 409 {
			t.Fatalf("PATCH = %d, want 409", r.StatusCode)
		}
	})
	for _, p := range []string{"/inbox/", "/"} {
		if body := readAll(t, do(t, srv, req{method: "GET", path: p, header: ttl("")})); strings.Contains(body, "forged") || strings.Contains(body, "made") {
			t.Fatalf("GET %s shows forged containment:\n%s", p, body)
		}
	}

	// Child metadata in another spelling is refused as well; the
	// container's own server types in another spelling are dropped.
	for name, body := range map[string]string{
		"child size, upper-case host": `<http://POD.EXAMPLE/inbox/x> <http://www.w3.org/ns/posix/stat#size> 1 .`,
		"child type, encoded":         `<` + base + `%69nbox/x> a <http://www.w3.org/ns/ldp#Container> .`,
		"child mtime, dot segment":    `<` + base + `inbox/./x> <http://www.w3.org/ns/posix/stat#mtime> 1 .`,
	} {
		if r := put(t, srv, "/inbox/", "text/turtle", body); r.StatusCode != 409 {
			t.Errorf("PUT %s = %d, want 409", name, r.StatusCode)
		}
	}
	if r := put(t, srv, "/inbox/", "text/turtle", `<http://POD.EXAMPLE/inbox/> a <http://www.w3.org/ns/ldp#BasicContainer> ; <#p> <#o> .`); r.StatusCode != 204 {
		t.Fatalf("PUT with the container's own type in another spelling = %d", r.StatusCode)
	}
	g := graphOf(t, srv, srv.URL+"/inbox/")
	if ts := g.Match(rdf.NewIRI("http://POD.EXAMPLE/inbox/"), rdf.NewIRI(rdf.RDFNS+"type"), rdf.Term{}); len(ts) != 0 {
		t.Fatalf("the container's type in another spelling was stored: %v", ts)
	}
	if ts := g.Match(rdf.NewIRI("http://POD.EXAMPLE/inbox/"), rdf.NewIRI(base+"inbox/#p"), rdf.Term{}); len(ts) != 1 {
		t.Fatalf("the client's own triple was not stored: %v", ts)
	}
}
