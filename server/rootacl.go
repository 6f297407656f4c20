package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

// rootACLPath is the ACL resource of the storage root.
const rootACLPath = "/.acl"

// noOwnerYet is logged while the store has no root ACL and no owner was
// configured: the root is then closed to everyone (no ACL, fail closed),
// pods work under their own ACLs, and the first administrator's first pod
// makes its WebID the owner (ownerHook).
const noOwnerYet = "the storage root has no ACL yet, so it is closed to everyone: the first account signed up (the administrator) becomes its owner, or start once with --owner-webid <WebID>"

// ensureRootACL makes sure the storage root has an ACL (Solid Protocol
// server-root-container-acl). On first start it writes one that gives the
// owner Read, Write and Control over the whole storage (acl:accessTo and
// acl:default on the root) and nothing to anyone else. An existing root
// ACL is never changed: the owner edits it over HTTP like any other.
func ensureRootACL(ctx context.Context, store ldp.Store, baseURL, owner string, log *slog.Logger) error {
	_, err := store.Stat(ctx, rootACLPath)
	switch {
	case err == nil:
		if owner != "" {
			log.Info("root ACL exists; --owner-webid is only used on first start", "owner_webid", owner)
		}
		return nil
	case !errors.Is(err, ldp.ErrNotFound):
		return err
	case owner == "":
		log.Warn(noOwnerYet)
		return nil
	}
	body, err := rootACL(strings.TrimSuffix(baseURL, "/")+"/", owner)
	if err != nil {
		return err
	}
	_, _, err = store.Put(ctx, ldp.PutRequest{
		Path:        rootACLPath,
		ContentType: rdf.MediaTurtle,
		RDF:         true,
		Aux:         true,
		Body:        bytes.NewReader(body),
		Precondition: func(cur *ldp.Meta) error {
			if cur != nil {
				return ldp.ErrPreconditionFailed // written concurrently: keep it
			}
			return nil
		},
		Origin: originSetup,
	})
	if errors.Is(err, ldp.ErrPreconditionFailed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing the root ACL: %w", err)
	}
	log.Info("root ACL written: the owner has control of the storage", "owner_webid", owner)
	return nil
}

// rootACL is the first root ACL, in the canonical Turtle every RDF source
// is stored in.
func rootACL(root, owner string) ([]byte, error) {
	const nsACL = "http://www.w3.org/ns/auth/acl#"
	g := rdf.NewGraph()
	auth := rdf.NewIRI(root + ".acl#owner")
	iri := func(s string) rdf.Term { return rdf.NewIRI(s) }
	for _, t := range []rdf.Triple{
		{S: auth, P: iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), O: iri(nsACL + "Authorization")},
		{S: auth, P: iri(nsACL + "agent"), O: iri(owner)},
		{S: auth, P: iri(nsACL + "accessTo"), O: iri(root)},
		{S: auth, P: iri(nsACL + "default"), O: iri(root)},
		{S: auth, P: iri(nsACL + "mode"), O: iri(nsACL + "Read")},
		{S: auth, P: iri(nsACL + "mode"), O: iri(nsACL + "Write")},
		{S: auth, P: iri(nsACL + "mode"), O: iri(nsACL + "Control")},
	} {
		g.Add(t)
	}
	var buf bytes.Buffer
	if err := rdf.Write(&buf, g, rdf.MediaTurtle); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
