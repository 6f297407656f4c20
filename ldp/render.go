package ldp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/naamio/naamio/rdf"
)

// DefaultRenderCacheBytes bounds the memory of rendered representations
// kept for reuse.
const DefaultRenderCacheBytes = 16 << 20

// renderCache keeps rendered representations (container listings, and RDF
// documents in a type other than the stored Turtle) keyed by path, strong
// ETag and media type. The ETag is content-derived and, for a container,
// covers its children, so an entry can never be served for a state it was
// not rendered from: a changed resource simply has a new key. Bounded by
// bytes; ristretto is used because it is already in the module graph
// (through Badger) and bounds by cost, not entry count.
type renderCache struct {
	c *ristretto.Cache[string, []byte]
}

func newRenderCache(maxBytes int64) (*renderCache, error) {
	if maxBytes <= 0 {
		return &renderCache{}, nil
	}
	c, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
		NumCounters: 100_000,
		MaxCost:     maxBytes,
		BufferItems: 64,
	})
	if err != nil {
		return nil, err
	}
	return &renderCache{c: c}, nil
}

func (rc *renderCache) get(key string) ([]byte, bool) {
	if rc.c == nil {
		return nil, false
	}
	return rc.c.Get(key)
}

func (rc *renderCache) set(key string, b []byte) {
	if rc.c != nil {
		rc.c.Set(key, b, int64(len(b)+len(key)))
	}
}

func (rc *renderCache) close() {
	if rc.c != nil {
		rc.c.Close()
	}
}

// render returns the representation of an RDF source or container in
// media type mt, from the cache when this exact state was rendered before.
func (h *Handler) render(r *http.Request, m Meta, body io.Reader, mt string) ([]byte, error) {
	key := m.Path + "\x00" + m.ETag + "\x00" + mt
	if b, ok := h.cache.get(key); ok {
		return b, nil
	}
	// Parsing the stored graph and writing it again share the RDF memory
	// budget with the writes (SECURITY row 15); a cached render costs nothing.
	release, err := h.reserve(r.Context(), h.parseCost(m.Size, mt == rdf.MediaJSONLD))
	if err != nil {
		return nil, err
	}
	defer release()
	g, err := h.readGraph(r, m, body)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, mt); err != nil {
		return nil, fmt.Errorf("render %s as %s: %w", m.Path, mt, err)
	}
	b := buf.Bytes()
	h.cache.set(key, b)
	return b, nil
}
