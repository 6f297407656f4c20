package browse

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/naamio/naamio/rdf"
)

// statement is one row of the table of statements.
type statement struct{ S, P, O term }

// term is one cell: Text is what is shown, Href a link (IRIs of http(s)
// only), Title the full IRI or the literal's datatype, Note a literal's
// language or datatype in short, Kind "iri", "blank" or "literal".
type term struct {
	Text, Href, Title, Note, Kind string
}

// loadRDF fills d with the statements and Turtle of the RDF source res, as
// the person reads them. It reports false when the stored document cannot
// be read (a server fault).
func (h *Handler) loadRDF(r *http.Request, res *Resource, d *documentData) bool {
	got := h.Fetch(r, res.WebID, http.MethodGet, "text/turtle", maxRDFPage)
	switch {
	case got.Truncated:
		d.TooLarge = true
		return true
	case got.Status != http.StatusOK:
		return false
	}
	g, err := rdf.Parse(bytes.NewReader(got.Body), rdf.MediaTurtle, res.URL, rdf.Limits{})
	if err != nil {
		h.log.ErrorContext(r.Context(), "stored RDF unreadable", "path", r.URL.Path, "err", err)
		return false
	}
	d.Turtle, d.ETag, d.Count = string(got.Body), got.Header.Get("ETag"), g.Len()
	d.Statements = statements(g, res.URL, maxStatements)
	d.More = g.Len() - len(d.Statements)
	return true
}

// statements are up to max rows of g, sorted by subject (the document
// itself first, then its own fragments, then the rest), predicate
// (rdf:type first) and object.
func statements(g *rdf.Graph, doc string, max int) []statement {
	ts := g.Triples()
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if c := compareSubject(a.S, b.S, doc); c != 0 {
			return c < 0
		}
		if (a.P.Value == rdf.RDFType) != (b.P.Value == rdf.RDFType) {
			return a.P.Value == rdf.RDFType
		}
		if a.P.Value != b.P.Value {
			return a.P.Value < b.P.Value
		}
		return a.O.Value < b.O.Value
	})
	if len(ts) > max {
		ts = ts[:max]
	}
	out := make([]statement, len(ts))
	for i, t := range ts {
		out[i] = statement{S: view(t.S, doc), P: view(t.P, doc), O: view(t.O, doc)}
	}
	return out
}

func compareSubject(a, b rdf.Term, doc string) int {
	rank := func(t rdf.Term) int {
		switch {
		case t.Kind == rdf.IRI && t.Value == doc:
			return 0
		case t.Kind == rdf.IRI && strings.HasPrefix(t.Value, doc+"#"):
			return 1
		case t.Kind == rdf.IRI:
			return 2
		}
		return 3
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a.Value, b.Value)
}

// view is how a term is shown on the page of the document doc.
func view(t rdf.Term, doc string) term {
	switch t.Kind {
	case rdf.Blank:
		return term{Kind: "blank", Text: "_:" + t.Value}
	case rdf.Literal:
		v := term{Kind: "literal", Text: t.Value}
		switch {
		case t.Lang != "":
			v.Note = "@" + t.Lang
		case t.Datatype != "" && t.Datatype != rdf.XSDString:
			v.Note = shortIRI(t.Datatype, doc)
			v.Title = t.Datatype
		}
		return v
	}
	v := term{Kind: "iri", Text: shortIRI(t.Value, doc), Title: t.Value}
	if u, err := url.Parse(t.Value); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		v.Href = t.Value
	}
	return v
}

// shortIRI shortens an IRI for reading: "<>" for the document itself,
// "<#x>" for its fragments, a prefixed name of a well-known vocabulary,
// "<sibling>" for a resource of the same container; else the IRI whole.
func shortIRI(iri, doc string) string {
	switch {
	case iri == doc:
		return "<>"
	case strings.HasPrefix(iri, doc+"#"):
		return "<" + strings.TrimPrefix(iri, doc) + ">"
	}
	if p, ok := rdf.Prefixed(iri); ok {
		return p
	}
	if dir := doc[:strings.LastIndex(doc, "/")+1]; strings.HasPrefix(iri, dir) && len(iri) > len(dir) {
		return "<" + strings.TrimPrefix(iri, dir) + ">"
	}
	return "<" + iri + ">"
}
