package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/ldp"
)

// maxGroupDocBytes bounds a group document read from the store (remote
// ones are bounded by the safe client's body limit).
const maxGroupDocBytes = 1 << 20

// groupAccept asks remote servers for the RDF formats rdf/ reads.
const groupAccept = "text/turtle, application/ld+json;q=0.9, application/n-triples;q=0.8"

// newGroupChecker answers acl:agentGroup (WAC §"agentGroup"): a group on
// this server is read straight from the store (its cache entry is dropped
// by derivedCaches when the document changes); any other group is fetched
// through the SSRF-safe client, with the deadline and caching of
// acl.Groups, so an internal or slow host denies (SECURITY row 24).
func newGroupChecker(store ldp.Store, loc *ldp.Locator, client *safehttp.Client) *acl.Groups {
	fetch := func(ctx context.Context, docURL string) ([]byte, string, error) {
		if p, ok := loc.PathOf(docURL); ok {
			return localGroupDoc(ctx, store, p)
		}
		resp, err := client.Get(ctx, docURL, groupAccept)
		if err != nil {
			return nil, "", err
		}
		if resp.StatusCode != 200 {
			return nil, "", fmt.Errorf("group document: status %d", resp.StatusCode)
		}
		mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err != nil {
			return nil, "", errors.New("group document: no usable Content-Type")
		}
		return resp.Body, mt, nil
	}
	return acl.NewGroups(fetch, acl.GroupOptions{})
}

func localGroupDoc(ctx context.Context, store ldp.Store, p string) ([]byte, string, error) {
	m, body, err := store.Open(ctx, p)
	if err != nil {
		return nil, "", err
	}
	defer body.Close()
	if m.Size > maxGroupDocBytes {
		return nil, "", fmt.Errorf("group document %s is too large", p)
	}
	b, err := io.ReadAll(io.LimitReader(body, maxGroupDocBytes))
	if err != nil {
		return nil, "", err
	}
	mt, _, err := mime.ParseMediaType(m.ContentType)
	if err != nil {
		return nil, "", err
	}
	return b, mt, nil
}
