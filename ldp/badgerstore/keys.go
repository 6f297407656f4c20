package badgerstore

import "encoding/binary"

// Key layout. Every key the store writes is built by a function in this file.
//
//	prefix  key                              value
//	------  -------------------------------  --------------------------------------------
//	m/      m/format                         store format marker ("naamio-badgerstore/<version>", format.go)
//	        m/id                             the store's random identity (backup.go)
//	r/      r/<path>                         resource record (record.go): meta + inline body or blob ref
//	c/      c/<container>\x00<name>          containment entry: the child's meta, no body
//	g/      g/<container>                    guard: unix ns of the last membership change
//	b/      b/<blob id:16><chunk:uint32 BE>  one body chunk (chunkSize bytes, last may be shorter)
//	l/      l/<seq:uint64 BE>                change-log entry (changes.go)
//
// <path> is the canonical escaped path ("/", "/a/", "/a/b.ttl"); <name> is the
// child's last segment, with its trailing slash for a container ("b/",
// "c.ttl"). Paths never contain NUL, so a container's entries are exactly the
// keys under c/<container>\x00.
//
// Namespaces of server-internal records, written only through KV (kv.go):
// <namespace>/<key> for each kv.Namespace (declared, with what lives in
// each, in kv/namespace.go):
//
//	a/  accounts        p/  pods            t/  tokens
//	x/  module records  q/  delivery queue  n/  notification channels
//	f/  feed cursors    s/  federation (ActivityPub keys, actor settings)
//
// No resource URL maps to any key outside r/, c/ and b/.
const (
	prefixRecord  = "r/"
	prefixContain = "c/"
	prefixGuard   = "g/"
	prefixBlob    = "b/"
	prefixLog     = "l/"
	keyFormat     = "m/format"
)

// recordKey is r/<path>.
func recordKey(path string) []byte {
	return append([]byte(prefixRecord), path...)
}

// containPrefix is c/<container>\x00, the prefix of all its entries.
func containPrefix(container string) []byte {
	k := make([]byte, 0, len(prefixContain)+len(container)+1)
	k = append(k, prefixContain...)
	k = append(k, container...)
	return append(k, 0)
}

// containKey is c/<container>\x00<name>.
func containKey(container, name string) []byte {
	return append(containPrefix(container), name...)
}

// guardKey is g/<container>.
func guardKey(container string) []byte {
	return append([]byte(prefixGuard), container...)
}

// blobPrefix is b/<id>, the prefix of all chunks of one blob.
func blobPrefix(id blobID) []byte {
	return append([]byte(prefixBlob), id[:]...)
}

// chunkKey is b/<id><n>.
func chunkKey(id blobID, n uint32) []byte {
	return binary.BigEndian.AppendUint32(blobPrefix(id), n)
}

// logKey is l/<seq>.
func logKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefixLog), seq)
}

// seqOfLogKey decodes the Seq of an l/ key.
func seqOfLogKey(k []byte) (uint64, bool) {
	if len(k) != len(prefixLog)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(prefixLog):]), true
}
