// Package remote fetches ActivityStreams documents (actors, keys, objects)
// from other servers, through the SSRF-safe client of internal/safehttp,
// and keeps the keys it fetched in a bounded cache that resolves keys for
// federation/httpsig.
//
// What a fetch trusts (SECURITY row 39, and what Mastodon enforces): only a
// 2xx response served as application/activity+json or as
// application/ld+json with the ActivityStreams profile, whose body is a
// JSON object of at most MaxBytes, and whose "id" is exactly the URL that
// was asked for (fragment included). Anything else is discarded with an
// error. Where the connection goes is safehttp's business: it checks the
// address after name resolution on every hop, redirects included
// (SECURITY row 41), and allows plain http only to the addresses given with
// --allow-fetch-addr.
//
// Errors sort into what a caller needs: ErrTemporary (5xx, 429, timeouts,
// connection failures: retry later, or answer 503: SECURITY row 44) and the
// permanent ones (ErrNotFound, ErrRefused, ErrForbidden, ErrNotAS2,
// ErrIDMismatch, ErrInvalid, ErrNoKey).
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/naamio/naamio/internal/safehttp"
)

// AcceptAS2 is the Accept header of every fetch.
const AcceptAS2 = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// DefaultMaxBytes bounds a fetched document.
const DefaultMaxBytes = 1 << 20

// asProfile is the ActivityStreams JSON-LD profile.
const asProfile = "https://www.w3.org/ns/activitystreams"

var (
	// ErrTemporary: the peer could not answer now (5xx, 429, 408, a
	// timeout, a connection that failed). Worth retrying.
	ErrTemporary = errors.New("remote: temporary failure")
	// ErrNotFound: 404 or 410.
	ErrNotFound = errors.New("remote: not found or gone")
	// ErrRefused: any other non-2xx answer (401, 403, 3xx not followed…).
	ErrRefused = errors.New("remote: peer refused the request")
	// ErrForbidden: the URL or an address it resolved or redirected to is
	// one this server may not reach (SECURITY row 41); nothing was sent.
	ErrForbidden = errors.New("remote: destination not allowed")
	// ErrNotAS2: the response was not served with an ActivityStreams media
	// type (SECURITY row 39: plain application/json is discarded).
	ErrNotAS2 = errors.New("remote: not served as ActivityStreams")
	// ErrIDMismatch: the document's id is not the URL fetched (SECURITY
	// row 39).
	ErrIDMismatch = errors.New("remote: document id differs from the URL fetched")
	// ErrInvalid: not a JSON object, too large, or no usable id.
	ErrInvalid = errors.New("remote: invalid document")
	// ErrNoKey: the document has no usable key with the id asked for, or
	// the key's owner does not confirm it.
	ErrNoKey = errors.New("remote: no such key")
)

// Fetcher fetches AS2 documents. It is safe for concurrent use.
type Fetcher struct {
	// Client is the SSRF-safe client every fetch goes through. Required.
	Client *safehttp.Client
	// Sign, when set, signs each request before it is sent, and again on
	// every redirect hop (authorized fetch: peers that require signed
	// GETs). Typically httpsig.Sign with the server's or the pod's key.
	Sign func(*http.Request) error
	// MaxBytes bounds a document; 0 means DefaultMaxBytes. (The Client's
	// MaxBody bounds it too.)
	MaxBytes int64
}

// Document is a fetched AS2 document whose id is the URL it came from.
type Document struct {
	// ID is the document's id, equal to the URL fetched.
	ID string
	// Object is the decoded JSON object, compacted as served; remote
	// @contexts are never fetched.
	Object map[string]any
	// Body is the document as served.
	Body []byte
}

// Fetch fetches rawURL and returns the document only when it passes every
// check of the package doc: AS2 media type, a JSON object, and an id equal
// to rawURL (a fragment in rawURL is not sent, but the id must carry it,
// as Mastodon requires).
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Document, error) {
	doc, err := f.get(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if doc.ID != rawURL {
		return nil, fmt.Errorf("%w: fetched %s, id %q", ErrIDMismatch, rawURL, doc.ID)
	}
	return doc, nil
}

// get fetches rawURL and checks everything but the id against the URL.
func (f *Fetcher) get(ctx context.Context, rawURL string) (*Document, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: %q is not an absolute URL", ErrInvalid, rawURL)
	}
	u.Fragment, u.RawFragment = "", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	req.Header.Set("Accept", AcceptAS2)
	if f.Sign != nil {
		if err := f.Sign(req); err != nil {
			return nil, fmt.Errorf("remote: signing the fetch of %s: %w", u.Redacted(), err)
		}
	}
	resp, err := f.httpClient().Do(req)
	if err != nil {
		return nil, classify(err)
	}
	defer resp.Body.Close()
	if err := checkStatus(resp.StatusCode); err != nil {
		return nil, fmt.Errorf("%w: %s answered %d", err, u.Redacted(), resp.StatusCode)
	}
	if !IsAS2(resp.Header.Get("Content-Type")) {
		return nil, fmt.Errorf("%w: %s served %q", ErrNotAS2, u.Redacted(), resp.Header.Get("Content-Type"))
	}
	max := f.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, classify(err)
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrInvalid, max)
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil || obj == nil || dec.More() {
		return nil, fmt.Errorf("%w: not a JSON object", ErrInvalid)
	}
	id, _ := obj["id"].(string)
	if id == "" {
		return nil, fmt.Errorf("%w: no id", ErrInvalid)
	}
	return &Document{ID: id, Object: obj, Body: body}, nil
}

// httpClient is the safe client, re-signing each redirect hop when
// requests are signed (a signature covers the path and host it was made
// for, and net/http would copy the old one to the new hop).
func (f *Fetcher) httpClient() *http.Client {
	hc := f.Client.HTTPClient()
	if f.Sign == nil {
		return hc
	}
	check := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if check != nil {
			if err := check(req, via); err != nil {
				return err
			}
		}
		for _, h := range []string{"Signature", "Signature-Input", "Date", "Digest", "Content-Digest"} {
			req.Header.Del(h)
		}
		return f.Sign(req)
	}
	return hc
}

// IsAS2 reports whether contentType is an ActivityStreams media type:
// application/activity+json, or application/ld+json whose profile names
// the ActivityStreams vocabulary.
func IsAS2(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/activity+json":
		return true
	case "application/ld+json":
		for _, p := range strings.Fields(params["profile"]) {
			if p == asProfile {
				return true
			}
		}
	}
	return false
}

func checkStatus(code int) error {
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return ErrNotFound
	case code >= 500, code == http.StatusTooManyRequests, code == http.StatusRequestTimeout:
		return ErrTemporary
	default:
		return ErrRefused
	}
}

// classify sorts a transport error: a refused destination, a body too
// large and a redirect loop are for good; everything else (timeouts,
// refused or reset connections, TLS and DNS failures) may pass.
func classify(err error) error {
	switch {
	case safehttp.IsRefused(err):
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	case errors.Is(err, safehttp.ErrTooLarge):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case errors.Is(err, safehttp.ErrTooManyRedirects):
		return fmt.Errorf("%w: %w", ErrRefused, err)
	default:
		return fmt.Errorf("%w: %w", ErrTemporary, err)
	}
}
