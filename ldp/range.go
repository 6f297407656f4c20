package ldp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Byte ranges (RFC 9110 §14) are served for non-RDF resources only: an RDF
// source's representation depends on content negotiation, and a range of
// it is not worth the complexity.
//
// The order of evaluation is RFC 9110 §13.2.2: the preconditions (If-Match,
// If-Unmodified-Since, If-None-Match, If-Modified-Since) first, so a 412 or
// 304 never carries a range; then If-Range (step 5); then Range.
//
//	request                                   response
//	----------------------------------------  -------------------------------------------
//	no Range, HEAD, or not a GET              200, whole body (Accept-Ranges: bytes)
//	Range: bytes=a-b | a- | -n, satisfiable   206, Content-Range: bytes first-last/size
//	single range, start >= size, or size 0    416, Content-Range: bytes */size
//	more than one range                       200, whole body (RFC 9110 §14.2 allows it)
//	malformed Range or another unit           200, whole body (ignored, §14.2)
//	If-Range not matching (or weak ETag)      200, whole body (§13.1.5)
//	failing precondition                      412 or 304, never a range
//	resource changed before the range opened  whole new state, as if Range were absent
func (h *Handler) getBinary(w http.ResponseWriter, r *http.Request, m Meta, body io.ReadCloser) error {
	w.Header().Set("Accept-Ranges", "bytes")
	etag := representationETag(m.ETag, "")
	spec, ok := rangeOf(r)
	if !ok {
		return h.serve(w, r, m, etag, m.ContentType, m.Size, body)
	}
	if err := conditionsOf(r).evaluate(&m, true, ""); err != nil {
		h.setCommon(w, m, etag)
		return err
	}
	if !ifRangeHolds(r.Header.Get("If-Range"), m, etag) {
		return h.serve(w, r, m, etag, m.ContentType, m.Size, body)
	}
	off, n, ok := spec.resolve(m.Size)
	if !ok {
		h.setCommon(w, m, etag)
		w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(m.Size, 10))
		return fmt.Errorf("%w: %s has %d bytes", ErrRangeNotSatisfiable, m.Path, m.Size)
	}
	_ = body.Close() // release the snapshot of the whole body; the range is read afresh
	return h.servePart(w, r, m, off, n)
}

// servePart serves bytes [off, off+n) of m's body, read with OpenRange.
// When the stored state is no longer m's (a write landed since the whole
// body was opened), the request is answered as if it had no Range: the
// current state, in full, with every header and precondition taken from
// that state. A 206 therefore never mixes one state's headers with another
// state's bytes.
func (h *Handler) servePart(w http.ResponseWriter, r *http.Request, m Meta, off, n int64) error {
	cur, part, err := h.store.OpenRange(r.Context(), m.Path, off, n)
	if err == nil && cur.ETag != m.ETag {
		_ = part.Close()
		err = errStateChanged
	}
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrRangeNotSatisfiable) || errors.Is(err, errStateChanged) {
			w.Header().Del("Accept-Ranges") // the new state may not be a binary
			return h.get(w, withoutRange(r), m.Path)
		}
		return err
	}
	defer part.Close()
	etag := representationETag(m.ETag, "")
	h.setCommon(w, m, etag)
	body, err := readHead(m.Path, part, n)
	if err != nil {
		return damaged(w, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", m.ContentType)
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, m.Size))
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusPartialContent)
	h.copyBody(w, r, m.Path, body)
	return nil
}

// errStateChanged: the resource changed between opening it and its range.
var errStateChanged = errors.New("ldp: resource changed while being read")

// withoutRange is r with its Range and If-Range removed.
func withoutRange(r *http.Request) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Header.Del("Range")
	r2.Header.Del("If-Range")
	return r2
}

// byteRange is one parsed range-spec (RFC 9110 §14.1.1): first-last,
// first- (last < 0), or a suffix of the last suffix bytes.
type byteRange struct {
	first, last int64
	suffix      int64
	isSuffix    bool
}

// rangeOf returns the request's single byte range. ok is false when range
// handling does not apply: not a GET (§14.2: only GET has range handling),
// no Range, another unit, a malformed set, or more than one range (served
// whole, as §14.2 allows).
func rangeOf(r *http.Request) (byteRange, bool) {
	v := r.Header.Get("Range")
	if r.Method != http.MethodGet || v == "" || len(r.Header.Values("Range")) > 1 {
		return byteRange{}, false
	}
	return parseRange(v)
}

// parseRange parses "bytes=<range-set>" holding exactly one range-spec.
// The unit is case-insensitive (§14.1); list elements may be surrounded by
// whitespace and empty ones are skipped (RFC 9110 §5.6.1).
func parseRange(v string) (byteRange, bool) {
	unit, set, ok := strings.Cut(v, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return byteRange{}, false
	}
	var specs []string
	for s := range strings.SplitSeq(set, ",") {
		if s = strings.Trim(s, " \t"); s != "" {
			specs = append(specs, s)
		}
	}
	if len(specs) != 1 {
		return byteRange{}, false
	}
	return parseRangeSpec(specs[0])
}

// parseRangeSpec parses int-range ("first-[last]") or suffix-range
// ("-length"). Numbers too large for int64 are read as the largest one:
// they can only mean "beyond the end".
func parseRangeSpec(s string) (byteRange, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return byteRange{}, false
	}
	if a == "" {
		n, ok := digits(b)
		return byteRange{suffix: n, isSuffix: true}, ok
	}
	first, ok := digits(a)
	if !ok {
		return byteRange{}, false
	}
	if b == "" {
		return byteRange{first: first, last: -1}, true
	}
	last, ok := digits(b)
	if !ok || last < first { // §14.1.1: last-pos < first-pos is invalid
		return byteRange{}, false
	}
	return byteRange{first: first, last: last}, true
}

// digits parses 1*DIGIT, saturating at math.MaxInt64.
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return math.MaxInt64, true // all digits, so only out of range
	}
	return n, true
}

// resolve maps the range onto a body of size bytes: offset and length, or
// ok false when it is not satisfiable (§14.1.1: first-pos at or past the
// end, a zero suffix-length; and a zero-length body, which no
// Content-Range of a 206 can describe).
func (br byteRange) resolve(size int64) (off, n int64, ok bool) {
	if size <= 0 {
		return 0, 0, false
	}
	if br.isSuffix {
		if br.suffix <= 0 {
			return 0, 0, false
		}
		n = min(br.suffix, size)
		return size - n, n, true
	}
	if br.first >= size {
		return 0, 0, false
	}
	last := size - 1
	if br.last >= 0 {
		last = min(br.last, last)
	}
	return br.first, last - br.first + 1, true
}

// ifRangeHolds evaluates If-Range (RFC 9110 §13.1.5) against the selected
// representation: absent holds; an entity tag must be strong and equal to
// etag (strong comparison, so a weak tag never holds); an HTTP-date must
// equal Last-Modified exactly. Anything else does not hold, and the Range is
// then ignored.
//
// About dates: Last-Modified has one-second precision and the store does
// not prevent two writes within one second, so a date can only be as
// strong as that (§8.8.2.2). Clients that resume downloads should send
// the ETag, which is a content hash.
func ifRangeHolds(v string, m Meta, etag string) bool {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return true
	case strings.HasPrefix(v, `"`):
		return v == etag
	case strings.HasPrefix(v, "W/"):
		return false
	}
	t, ok := parseHTTPDate(v)
	return ok && t.Equal(lastModified(m))
}
