package badgerstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/naamio/naamio/ldp"
)

// errCorrupt marks a stored value that does not decode. It is never
// silently ignored: reads fail with it.
var errCorrupt = errors.New("badgerstore: corrupt record")

// blobID names one stored body (a set of chunks).
type blobID [16]byte

// record is the stored form of one resource: its metadata and where its
// body is. It is encoded by hand (encode/decodeRecord), not with reflection.
type record struct {
	contentType string
	etag        string
	size        int64
	modified    int64 // unix ns, UTC
	rdf         bool
	aux         bool
	// inline holds the body when it is stored in the record itself.
	inline []byte
	// blob, when hasBlob, holds the body in chunks of chunkSize bytes.
	blob      blobID
	hasBlob   bool
	chunkSize uint32
}

// Encoding, version 1:
//
//	version:1 flags:1 size:uvarint modified:varint
//	len(contentType):uvarint contentType len(etag):uvarint etag
//	[flagBlob: id:16 chunkSize:uvarint] [flagInline: body (rest of value)]
const (
	recordVersion = 1

	flagRDF    = 1 << 0
	flagAux    = 1 << 1
	flagInline = 1 << 2
	flagBlob   = 1 << 3
)

// userMetaBlob is set as Badger UserMeta on records that point at a blob, so
// the orphan sweep can find them from keys alone.
const userMetaBlob = 1

// encode appends the record to dst. With body false the body reference is
// left out (the form used in containment entries).
func (r *record) encode(dst []byte, body bool) []byte {
	var flags byte
	if r.rdf {
		flags |= flagRDF
	}
	if r.aux {
		flags |= flagAux
	}
	if body && r.hasBlob {
		flags |= flagBlob
	} else if body {
		flags |= flagInline
	}
	dst = append(dst, recordVersion, flags)
	dst = binary.AppendUvarint(dst, uint64(r.size))
	dst = binary.AppendVarint(dst, r.modified)
	dst = appendString(dst, r.contentType)
	dst = appendString(dst, r.etag)
	if flags&flagBlob != 0 {
		dst = append(dst, r.blob[:]...)
		dst = binary.AppendUvarint(dst, uint64(r.chunkSize))
	}
	if flags&flagInline != 0 {
		dst = append(dst, r.inline...)
	}
	return dst
}

// decodeRecord parses v. The inline body, if any, aliases v.
func decodeRecord(v []byte) (record, error) {
	var r record
	d := decoder{b: v}
	if d.byte() != recordVersion {
		return r, errCorrupt
	}
	flags := d.byte()
	if flags&^(flagRDF|flagAux|flagInline|flagBlob) != 0 || flags&flagInline != 0 && flags&flagBlob != 0 {
		return r, errCorrupt
	}
	r.rdf = flags&flagRDF != 0
	r.aux = flags&flagAux != 0
	r.size = int64(d.uvarint())
	r.modified = d.varint()
	r.contentType = d.string()
	r.etag = d.string()
	if flags&flagBlob != 0 {
		copy(r.blob[:], d.bytes(len(r.blob)))
		r.hasBlob = true
		r.chunkSize = uint32(d.uvarint())
		if r.chunkSize == 0 {
			d.bad = true
		}
	}
	if flags&flagInline != 0 {
		r.inline = d.rest()
		if int64(len(r.inline)) != r.size {
			d.bad = true
		}
	}
	if d.bad || (flags&flagInline == 0 && len(d.b) != 0) {
		return r, errCorrupt
	}
	return r, nil
}

// peekRecord reads only the ETag and modification time of an encoded
// record, without allocating (the ETag aliases v).
func peekRecord(v []byte) (etag []byte, modified int64, err error) {
	d := decoder{b: v}
	if d.byte() != recordVersion {
		return nil, 0, errCorrupt
	}
	d.byte()
	d.uvarint()
	modified = d.varint()
	d.bytes(int(min(d.uvarint(), uint64(len(d.b)+1))))
	etag = d.bytes(int(min(d.uvarint(), uint64(len(d.b)+1))))
	if d.bad {
		return nil, 0, errCorrupt
	}
	return etag, modified, nil
}

// meta is the record's ldp.Meta at path.
func (r *record) meta(path string) ldp.Meta {
	return ldp.Meta{
		Path:        path,
		ContentType: r.contentType,
		RDF:         r.rdf,
		Size:        r.size,
		ETag:        r.etag,
		Modified:    time.Unix(0, r.modified).UTC(),
	}
}

// corrupt wraps errCorrupt with the key it was found at.
func corrupt(key []byte) error {
	return fmt.Errorf("%w at key %q", errCorrupt, key)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decoder reads the varint encoding; any short or malformed input sets bad.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || len(d.b) < n {
		d.bad = true
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	return string(d.bytes(int(n)))
}

func (d *decoder) rest() []byte {
	v := d.b
	d.b = nil
	return v
}

// peekSize reads only the body size of an encoded record.
func peekSize(v []byte) (int64, error) {
	d := decoder{b: v}
	if d.byte() != recordVersion {
		return 0, errCorrupt
	}
	d.byte()
	size := d.uvarint()
	if d.bad || size > 1<<62 {
		return 0, errCorrupt
	}
	return int64(size), nil
}
