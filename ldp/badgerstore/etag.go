package badgerstore

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// etagLen is how many bytes of the SHA-256 an ETag keeps (128 bits).
const etagLen = 16

// newBodyHash starts the content hash of a body: the ETag covers the media
// type and the RDF flag as well as the bytes, so the same bytes served as
// another type get another validator.
func newBodyHash(contentType string, rdf bool) hash.Hash {
	h := sha256.New()
	h.Write([]byte(contentType))
	if rdf {
		h.Write([]byte{0, 1})
	} else {
		h.Write([]byte{0, 0})
	}
	return h
}

// sumETag renders a hash as an ETag (hex, unquoted).
func sumETag(h hash.Hash) string {
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:etagLen])
}

// bodyETag is the ETag of a whole body held in memory.
func bodyETag(contentType string, rdf bool, body []byte) string {
	h := newBodyHash(contentType, rdf)
	h.Write(body)
	return sumETag(h)
}

// containerETag combines a container's own ETag with its children's
// entries (name and ETag, in order). With no children it is the own ETag.
type containerETag struct {
	own string
	h   hash.Hash
}

func (c *containerETag) add(name, etag string) {
	c.addBytes([]byte(name), []byte(etag))
}

func (c *containerETag) addBytes(name, etag []byte) {
	if c.h == nil {
		c.h = sha256.New()
		c.h.Write([]byte(c.own))
		c.h.Write([]byte{0})
	}
	c.h.Write(name)
	c.h.Write([]byte{0})
	c.h.Write(etag)
	c.h.Write([]byte{0})
}

func (c *containerETag) sum() string {
	if c.h == nil {
		return c.own
	}
	return sumETag(c.h)
}
