package ldp

import (
	"mime"
	"strings"

	"github.com/elnormous/contenttype"

	"github.com/naamio/naamio/rdf"
)

// rdfOffers are the representations of an RDF source, in the order of
// preference used when the client has none (Turtle first: SolidOS and most
// apps speak it; Solid Protocol server-representation-turtle-jsonld).
var rdfOffers = []contenttype.MediaType{
	contenttype.NewMediaType(rdf.MediaTurtle),
	contenttype.NewMediaType(rdf.MediaJSONLD),
	contenttype.NewMediaType(rdf.MediaNTriples),
}

// etagSuffix distinguishes the strong validators of the representations of
// one RDF source; the stored (Turtle) form has none.
var etagSuffix = map[string]string{
	rdf.MediaTurtle:   "",
	rdf.MediaJSONLD:   "-jsonld",
	rdf.MediaNTriples: "-nt",
}

// negotiateRDF picks the representation for an Accept header (q-values,
// specificity, RFC 9110 §12.5.1). An unparsable Accept header is ignored,
// as RFC 9110 permits.
func negotiateRDF(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return rdf.MediaTurtle, true
	}
	mt, _, err := contenttype.GetAcceptableMediaTypeFromHeader(accept, rdfOffers)
	switch err {
	case nil:
		return mt.MIME(), true
	case contenttype.ErrNoAcceptableTypeFound:
		return "", false
	}
	return rdf.MediaTurtle, true
}

// acceptsType reports whether the Accept header admits a stored non-RDF
// media type.
func acceptsType(accept, stored string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(stored)
	if err != nil {
		mt = "application/octet-stream"
	}
	_, _, err = contenttype.GetAcceptableMediaTypeFromHeader(accept, []contenttype.MediaType{contenttype.NewMediaType(mt)})
	return err != contenttype.ErrNoAcceptableTypeFound
}

// representationETag quotes a stored etag for one representation.
func representationETag(stored, mediaType string) string {
	return `"` + stored + etagSuffix[mediaType] + `"`
}
