package rdf

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// Parse reads one RDF document of the given media type (bare, lower-case).
// base is the document's IRI, against which relative IRIs are resolved.
// Errors wrap ErrSyntax, ErrTooLarge or ErrUnsupported; Parse never panics.
func Parse(r io.Reader, mediaType, base string, lim Limits) (*Graph, error) {
	if !Supported(mediaType) {
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, mediaType)
	}
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("rdf: reading body: %w", err)
	}
	return parseBytes(src, mediaType, base, lim.withDefaults())
}

func parseBytes(src []byte, mediaType, base string, lim Limits) (*Graph, error) {
	// RDF 1.1 Turtle §6: the document is UTF-8; so are N-Triples and JSON.
	if !utf8.Valid(src) {
		return nil, posError(ErrSyntax, src, firstInvalidUTF8(src), "invalid UTF-8")
	}
	switch mediaType {
	case MediaTurtle:
		return newTurtleParser(src, base, lim).parse()
	case MediaNTriples:
		return newNTParser(src, lim).parse()
	default:
		return parseJSONLD(src, base, lim)
	}
}

func firstInvalidUTF8(src []byte) int {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(src)
}
