package badgerstore

import (
	"bytes"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	recs := []record{
		{contentType: "text/turtle", etag: "abc", size: 3, modified: 1234567890123, rdf: true, inline: []byte("xyz")},
		{contentType: "image/png", etag: "def", size: 1 << 30, modified: -5, aux: true, hasBlob: true, blob: blobID{1, 2, 3}, chunkSize: chunkSize},
		{contentType: "", etag: "", inline: []byte{}},
	}
	for _, r := range recs {
		got, err := decodeRecord(r.encode(nil, true))
		if err != nil {
			t.Fatal(err)
		}
		if got.contentType != r.contentType || got.etag != r.etag || got.size != r.size || got.modified != r.modified ||
			got.rdf != r.rdf || got.aux != r.aux || got.hasBlob != r.hasBlob || got.blob != r.blob ||
			got.chunkSize != r.chunkSize || !bytes.Equal(got.inline, r.inline) {
			t.Fatalf("round trip %+v -> %+v", r, got)
		}
		etag, mod, err := peekRecord(r.encode(nil, false))
		if err != nil || string(etag) != r.etag || mod != r.modified {
			t.Fatalf("peek = %q %d %v", etag, mod, err)
		}
	}
}

// FuzzDecodeRecord: stored bytes never panic the decoder, and whatever
// decodes survives an encode/decode round trip unchanged.
func FuzzDecodeRecord(f *testing.F) {
	r := record{contentType: "text/plain", etag: "e", size: 2, inline: []byte("hi")}
	f.Add(r.encode(nil, true))
	f.Add(r.encode(nil, false))
	f.Fuzz(func(t *testing.T, v []byte) {
		_, _, _ = peekRecord(v)
		rec, err := decodeRecord(v)
		if err != nil {
			return
		}
		again, err := decodeRecord(rec.encode(nil, v[1]&(flagInline|flagBlob) != 0))
		if err != nil || again.etag != rec.etag || again.size != rec.size || again.modified != rec.modified ||
			again.contentType != rec.contentType || !bytes.Equal(again.inline, rec.inline) || again.blob != rec.blob {
			t.Fatalf("round trip of %x: %+v -> %+v (%v)", v, rec, again, err)
		}
	})
}
