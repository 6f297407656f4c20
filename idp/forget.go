package idp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

const aclAgent = "http://www.w3.org/ns/auth/acl#agent"

// maxACLBytes bounds an ACL resource ForgetWebIDs reads.
const maxACLBytes = 16 << 20

// ForgetWebIDs removes every acl:agent statement naming one of webIDs from
// every ACL resource in store, so that whoever is given a released pod
// name (and with it the same WebID) inherits none of the old grants
// (SECURITY.md row 57). iri maps a stored path to its IRI (the base the
// ACL is parsed against: ldp.Locator.IRI). It returns the paths of the
// ACL resources it rewrote. It reads the whole store: it is for the
// administrator's offline naamio pod release.
func ForgetWebIDs(ctx context.Context, store ldp.Store, iri func(path string) string, webIDs []string) ([]string, error) {
	var changed []string
	pending := []string{"/"}
	visit := func(p string) error {
		ok, err := forgetIn(ctx, store, iri, p+".acl", webIDs)
		if ok {
			changed = append(changed, p+".acl")
		}
		return err
	}
	if err := visit("/"); err != nil {
		return changed, err
	}
	for len(pending) > 0 {
		cur := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		kids, err := store.Children(ctx, cur)
		if errors.Is(err, ldp.ErrNotFound) {
			continue
		}
		if err != nil {
			return changed, err
		}
		for _, k := range kids {
			if err := visit(k.Path); err != nil {
				return changed, err
			}
			if k.IsContainer() {
				pending = append(pending, k.Path)
			}
		}
	}
	slices.Sort(changed)
	return changed, nil
}

// forgetIn rewrites the ACL resource at aclPath without the acl:agent
// statements naming webIDs; it reports whether it changed anything.
func forgetIn(ctx context.Context, store ldp.Store, iri func(string) string, aclPath string, webIDs []string) (bool, error) {
	meta, body, err := store.Open(ctx, aclPath)
	if errors.Is(err, ldp.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	src, err := io.ReadAll(io.LimitReader(body, maxACLBytes+1))
	body.Close()
	if err != nil {
		return false, err
	}
	if !meta.RDF || len(src) > maxACLBytes {
		return false, fmt.Errorf("%s: not an RDF document of at most %d bytes", aclPath, maxACLBytes)
	}
	g, err := rdf.Parse(bytes.NewReader(src), rdf.MediaTurtle, iri(aclPath), rdf.Limits{})
	if err != nil {
		return false, fmt.Errorf("%s: %w", aclPath, err)
	}
	n := 0
	for _, w := range webIDs {
		for _, t := range g.Match(rdf.Term{}, rdf.NewIRI(aclAgent), rdf.NewIRI(w)) {
			if g.Remove(t) {
				n++
			}
		}
	}
	if n == 0 {
		return false, nil
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, rdf.MediaTurtle); err != nil {
		return false, err
	}
	_, _, err = store.Put(ctx, ldp.PutRequest{
		Path: aclPath, ContentType: rdf.MediaTurtle, RDF: true, Aux: true, Body: &buf,
		Precondition: func(cur *ldp.Meta) error {
			if cur == nil || cur.ETag != meta.ETag {
				return ldp.ErrPreconditionFailed // changed since it was read
			}
			return nil
		},
		Origin: "naamio:pod-release",
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", aclPath, err)
	}
	return true, nil
}
