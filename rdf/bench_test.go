package rdf

import (
	"io"
	"strconv"
	"strings"
	"testing"
)

const smallTurtle = `@prefix ldp: <http://www.w3.org/ns/ldp#> .
@prefix dc: <http://purl.org/dc/terms/> .
<https://pod.example/c/> a ldp:BasicContainer, ldp:Container ;
    dc:modified "2025-01-02T03:04:05Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> ;
    ldp:contains <a>, <b>, <c/> .
<a> dc:title "A"@en ; <#n> 1 .
<b> dc:title "B" ; <#n> 2 .
`

func BenchmarkParseTurtleSmall(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		g, err := Parse(strings.NewReader(smallTurtle), MediaTurtle, "https://pod.example/c/", Limits{})
		if err != nil || g.Len() != 10 {
			b.Fatal(err, g.Len())
		}
	}
}

func smallGraph(b *testing.B) *Graph {
	g, err := Parse(strings.NewReader(smallTurtle), MediaTurtle, "https://pod.example/c/", Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

func BenchmarkWriteTurtleSmall(b *testing.B) {
	g := smallGraph(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, g, MediaTurtle); err != nil {
			b.Fatal(err)
		}
	}
}

// containerListing is a 1000-child container: 1000 ldp:contains plus 4 triples per child.
func containerListing() *Graph {
	g := NewGraph()
	c := NewIRI("https://pod.example/alice/photos/")
	for i := range 1000 {
		child := NewIRI("https://pod.example/alice/photos/img-" + strconv.Itoa(i) + ".jpg")
		g.Add(Triple{c, NewIRI(ldpNS + "contains"), child})
		g.Add(Triple{child, NewIRI(RDFType), NewIRI(ldpNS + "Resource")})
		g.Add(Triple{child, NewIRI(dcNS + "modified"), NewLiteral("2025-01-02T03:04:05Z", XSDDateTime)})
		g.Add(Triple{child, NewIRI(posixNS + "size"), NewLiteral(strconv.Itoa(1000+i*37), XSDInteger)})
		g.Add(Triple{child, NewIRI(posixNS + "mtime"), NewLiteral(strconv.Itoa(1735787045+i), XSDInteger)})
	}
	return g
}

func benchmarkWrite5000(b *testing.B, media string) {
	g := containerListing()
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, g, media); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteTurtle5000(b *testing.B)   { benchmarkWrite5000(b, MediaTurtle) }
func BenchmarkWriteNTriples5000(b *testing.B) { benchmarkWrite5000(b, MediaNTriples) }
func BenchmarkWriteJSONLD5000(b *testing.B)   { benchmarkWrite5000(b, MediaJSONLD) }
