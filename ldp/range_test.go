package ldp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/ldp/ldptest"
)

// rangeBody is a body whose every byte says where it is.
func rangeBody(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%07d,", i)
	}
	return b.String()[:n]
}

// TestRange: RFC 9110 §14 on a non-RDF resource, one row per rule.
func TestRange(t *testing.T) {
	srv := newPod(t)
	small := rangeBody(100)
	big := rangeBody(200 << 10) // several 64 KiB store chunks
	put(t, srv, "/small.bin", "application/octet-stream", small)
	put(t, srv, "/big.bin", "application/octet-stream", big)
	put(t, srv, "/empty.bin", "application/octet-stream", "")
	etag := do(t, srv, req{method: http.MethodHead, path: "/small.bin"}).Header.Get("ETag")
	lastMod := do(t, srv, req{method: http.MethodHead, path: "/small.bin"}).Header.Get("Last-Modified")

	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
		contentRange       string // "" means: must be absent
		body               string // checked unless status is 304, 412 or 416
	}{
		{"no range", "GET", "/small.bin", nil, 200, "", small},
		{"first byte", "GET", "/small.bin", rangeHdr("Range", "bytes=0-0"), 206, "bytes 0-0/100", small[:1]},
		{"middle", "GET", "/small.bin", rangeHdr("Range", "bytes=10-19"), 206, "bytes 10-19/100", small[10:20]},
		{"last byte", "GET", "/small.bin", rangeHdr("Range", "bytes=99-99"), 206, "bytes 99-99/100", small[99:]},
		{"open end", "GET", "/small.bin", rangeHdr("Range", "bytes=90-"), 206, "bytes 90-99/100", small[90:]},
		{"last-pos past end", "GET", "/small.bin", rangeHdr("Range", "bytes=95-5000"), 206, "bytes 95-99/100", small[95:]},
		{"suffix", "GET", "/small.bin", rangeHdr("Range", "bytes=-5"), 206, "bytes 95-99/100", small[95:]},
		{"suffix longer than body", "GET", "/small.bin", rangeHdr("Range", "bytes=-500"), 206, "bytes 0-99/100", small},
		{"unit is case-insensitive", "GET", "/small.bin", rangeHdr("Range", "Bytes=1-2"), 206, "bytes 1-2/100", small[1:3]},
		{"empty list elements", "GET", "/small.bin", rangeHdr("Range", "bytes= ,1-2, "), 206, "bytes 1-2/100", small[1:3]},
		{"huge last-pos", "GET", "/small.bin", rangeHdr("Range", "bytes=3-99999999999999999999999"), 206, "bytes 3-99/100", small[3:]},
		{"start at size", "GET", "/small.bin", rangeHdr("Range", "bytes=100-"), 416, "bytes */100", ""},
		{"start past size", "GET", "/small.bin", rangeHdr("Range", "bytes=500-600"), 416, "bytes */100", ""},
		{"huge first-pos", "GET", "/small.bin", rangeHdr("Range", "bytes=99999999999999999999999-"), 416, "bytes */100", ""},
		{"zero suffix", "GET", "/small.bin", rangeHdr("Range", "bytes=-0"), 416, "bytes */100", ""},
		{"empty body", "GET", "/empty.bin", rangeHdr("Range", "bytes=0-0"), 416, "bytes */0", ""},
		{"empty body suffix", "GET", "/empty.bin", rangeHdr("Range", "bytes=-5"), 416, "bytes */0", ""},
		{"two ranges: whole body", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1,5-6"), 200, "", small},
		{"last before first: ignored", "GET", "/small.bin", rangeHdr("Range", "bytes=5-1"), 200, "", small},
		{"not a number: ignored", "GET", "/small.bin", rangeHdr("Range", "bytes=a-b"), 200, "", small},
		{"no dash: ignored", "GET", "/small.bin", rangeHdr("Range", "bytes=5"), 200, "", small},
		{"signed: ignored", "GET", "/small.bin", rangeHdr("Range", "bytes=+1-2"), 200, "", small},
		{"other unit: ignored", "GET", "/small.bin", rangeHdr("Range", "items=0-1"), 200, "", small},
		{"no unit: ignored", "GET", "/small.bin", rangeHdr("Range", "0-1"), 200, "", small},
		{"HEAD ignores Range", "HEAD", "/small.bin", rangeHdr("Range", "bytes=0-0"), 200, "", ""},
		{"across a chunk boundary", "GET", "/big.bin", rangeHdr("Range", "bytes=65530-65545"), 206, "bytes 65530-65545/204800", big[65530:65546]},
		{"several chunks", "GET", "/big.bin", rangeHdr("Range", "bytes=60000-140000"), 206, "bytes 60000-140000/204800", big[60000:140001]},
		{"suffix over chunks", "GET", "/big.bin", rangeHdr("Range", "bytes=-70000"), 206, "bytes 134800-204799/204800", big[134800:]},
		{"chunk's last byte", "GET", "/big.bin", rangeHdr("Range", "bytes=131071-131071"), 206, "bytes 131071-131071/204800", big[131071:131072]},
		{"If-Range current ETag", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Range", etag), 206, "bytes 0-1/100", small[:2]},
		{"If-Range other ETag", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Range", `"nope"`), 200, "", small},
		{"If-Range weak ETag", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Range", "W/"+etag), 200, "", small},
		{"If-Range Last-Modified", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Range", lastMod), 206, "bytes 0-1/100", small[:2]},
		{"If-Range older date", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Range", "Sun, 06 Nov 1994 08:49:37 GMT"), 200, "", small},
		{"If-Range garbage", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Range", "tomorrow"), 200, "", small},
		{"If-Match holds", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Match", etag), 206, "bytes 0-1/100", small[:2]},
		{"If-Match fails first", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Match", `"nope"`), 412, "", ""},
		{"If-None-Match: 304, no range", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-None-Match", etag), 304, "", ""},
		{"If-None-Match on 416 range: 304", "GET", "/small.bin", rangeHdr("Range", "bytes=500-", "If-None-Match", etag), 304, "", ""},
		{"If-Modified-Since current: 304", "GET", "/small.bin", rangeHdr("Range", "bytes=0-1", "If-Modified-Since", lastMod), 304, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, srv, req{method: tc.method, path: tc.path, header: tc.header})
			got := readAll(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %.80q)", resp.StatusCode, tc.status, got)
			}
			if cr := resp.Header.Get("Content-Range"); cr != tc.contentRange {
				t.Errorf("Content-Range %q, want %q", cr, tc.contentRange)
			}
			if tc.status == 304 || tc.status == 412 || tc.status == 416 {
				return
			}
			if ar := resp.Header.Get("Accept-Ranges"); ar != "bytes" {
				t.Errorf("Accept-Ranges %q, want bytes", ar)
			}
			if resp.Header.Get("ETag") != etag && tc.path == "/small.bin" {
				t.Errorf("ETag %q, want %q", resp.Header.Get("ETag"), etag)
			}
			if tc.method == http.MethodHead {
				if resp.ContentLength != int64(len(small)) {
					t.Errorf("HEAD Content-Length %d", resp.ContentLength)
				}
				return
			}
			if got != tc.body {
				t.Errorf("body %d bytes %.40q, want %d bytes %.40q", len(got), got, len(tc.body), tc.body)
			}
			if resp.ContentLength != int64(len(tc.body)) {
				t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(tc.body))
			}
		})
	}
}

// TestRangeNotOnRDF: an RDF source is always served whole, without
// Accept-Ranges.
func TestRangeNotOnRDF(t *testing.T) {
	srv := newPod(t)
	put(t, srv, "/doc.ttl", "text/turtle", `<#a> <#b> <#c> .`)
	resp := do(t, srv, req{method: http.MethodGet, path: "/doc.ttl", header: rangeHdr("Range", "bytes=0-3")})
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Range") != "" || len(body) <= 4 {
		t.Fatalf("status %d, Content-Range %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Range"), len(body))
	}
	if resp.Header.Get("Accept-Ranges") != "" {
		t.Errorf("Accept-Ranges %q on an RDF source", resp.Header.Get("Accept-Ranges"))
	}
}

// TestRangeStateChanges: when a write lands between the handler opening
// the resource and opening its range, the response is the new state whole,
// with the new state's headers, never a mix.
func TestRangeStateChanges(t *testing.T) {
	tests := []struct {
		name   string
		change func(ctx context.Context, s ldp.Store) error
		status int
		body   string
	}{
		{"replaced", func(ctx context.Context, s ldp.Store) error {
			_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/f.bin", ContentType: "application/octet-stream", Body: strings.NewReader("new state")})
			return err
		}, http.StatusOK, "new state"},
		{"deleted", func(ctx context.Context, s ldp.Store) error {
			return s.Delete(ctx, ldp.DeleteRequest{Path: "/f.bin"})
		}, http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, res := ldptest.OpenStore(t, base, badgerstore.Options{DiskReserve: -1, GCInterval: -1})
			racy := &writeBeforeRange{Store: st, change: tc.change}
			hd := ldptest.PublicHandler(t, racy, res, ldp.Config{BaseURL: base})
			srv := httptest.NewServer(hd)
			t.Cleanup(srv.Close)
			put(t, srv, "/f.bin", "application/octet-stream", "old state, rather longer")
			resp := do(t, srv, req{method: http.MethodGet, path: "/f.bin", header: rangeHdr("Range", "bytes=0-2")})
			got := readAll(t, resp)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Range") != "" {
				t.Fatalf("status %d, Content-Range %q; want %d without", resp.StatusCode, resp.Header.Get("Content-Range"), tc.status)
			}
			if tc.status != http.StatusOK {
				return
			}
			m, err := st.Stat(context.Background(), "/f.bin")
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.body || resp.Header.Get("ETag") != `"`+m.ETag+`"` {
				t.Errorf("body %q ETag %s, want %q %q", got, resp.Header.Get("ETag"), tc.body, m.ETag)
			}
		})
	}
}

// writeBeforeRange is the real store with a write slipped in just before
// the first OpenRange, as a concurrent request would.
type writeBeforeRange struct {
	ldp.Store
	change func(ctx context.Context, s ldp.Store) error
	done   bool
}

func (s *writeBeforeRange) OpenRange(ctx context.Context, path string, off, n int64) (ldp.Meta, io.ReadCloser, error) {
	if !s.done {
		s.done = true
		if err := s.change(ctx, s.Store); err != nil {
			return ldp.Meta{}, nil, err
		}
	}
	return s.Store.OpenRange(ctx, path, off, n)
}

// rangeHdr builds a header map from name, value pairs.
func rangeHdr(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
