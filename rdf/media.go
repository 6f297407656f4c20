package rdf

// Media types the package reads and writes.
const (
	MediaTurtle   = "text/turtle"
	MediaJSONLD   = "application/ld+json"
	MediaNTriples = "application/n-triples"
)

// Supported reports whether mediaType (bare, lower-case, without parameters)
// is one Parse and Write handle.
func Supported(mediaType string) bool {
	switch mediaType {
	case MediaTurtle, MediaJSONLD, MediaNTriples:
		return true
	}
	return false
}
