package pod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/naamio/naamio/ldp"
	"github.com/naamio/naamio/rdf"
)

// ErrExists: something is already at the pod's root (or its slash twin).
var ErrExists = errors.New("pod: name taken")

// Origin is recorded in the change log for every write made here.
const Origin = "naamio:pod"

// cleanupTimeout bounds the removal of a half-created pod.
const cleanupTimeout = time.Minute

// Pod is a provisioned pod.
type Pod struct {
	Name  string // "alice"
	Root  string // IRI of the root container, "https://example.org/alice/"
	WebID string // the owner, "https://example.org/alice/profile/card#me"
}

// CreateOptions are Create's optional settings.
type CreateOptions struct {
	// WebID of the owner. Empty: the pod's own profile,
	// <root>profile/card#me. An outside WebID is also the subject of the
	// profile card written in the pod (and is what the ACLs name).
	WebID string
	// Name, when set, is stated as the WebID's foaf:name.
	Name string
	// Layout places the pod (nil: PathLayout).
	Layout Layout
}

// Create provisions pod name on store for a server whose public base URL
// is baseURL (the ldp handler's Config.BaseURL), with issuerURL as the
// owner's solid:oidcIssuer. See the package documentation for what it
// writes. The root container is claimed first with a Put that requires
// it to be absent, so of two concurrent Creates of one name exactly one
// succeeds; the other gets ErrExists and writes nothing. If a later write
// fails, Create removes what it wrote (as Delete does) and returns the
// error. Errors match ErrInvalidName, ErrExists or the store's errors.
func Create(ctx context.Context, store ldp.Store, baseURL, name, issuerURL string, opts CreateOptions) (*Pod, error) {
	layout := opts.Layout
	if layout == nil {
		layout = PathLayout{}
	}
	if err := ValidName(name); err != nil {
		return nil, err
	}
	base, err := normalizeBase(baseURL)
	if err != nil {
		return nil, err
	}
	if err := checkHTTPURL(issuerURL, false); err != nil {
		return nil, fmt.Errorf("pod: issuer: %w", err)
	}
	rootPath, rootIRI := layout.Root(base, name)
	webID := opts.WebID
	if webID == "" {
		webID = rootIRI + relCard + "#me"
	} else if err := checkHTTPURL(webID, true); err != nil {
		return nil, fmt.Errorf("pod: WebID: %w", err)
	}
	docs := documents(podInfo{root: rootIRI, webID: webID, issuer: issuerURL, name: opts.Name})
	bodies := make([][]byte, len(docs))
	for i, d := range docs {
		if bodies[i], err = d.turtle(); err != nil {
			return nil, fmt.Errorf("pod: %s: %w", d.rel, err)
		}
	}

	if err := put(ctx, store, rootPath, docs[0], bodies[0], mustBeAbsent); err != nil {
		if errors.Is(err, ldp.ErrPreconditionFailed) || errors.Is(err, ldp.ErrConflict) {
			return nil, fmt.Errorf("%w: %s", ErrExists, name)
		}
		return nil, fmt.Errorf("pod: claiming %s: %w", rootPath, err)
	}
	for i, d := range docs[1:] {
		if err := put(ctx, store, rootPath+d.rel, d, bodies[i+1], nil); err != nil {
			return nil, abandon(ctx, store, rootPath, fmt.Errorf("pod: writing %s: %w", rootPath+d.rel, err))
		}
	}
	return &Pod{Name: name, Root: rootIRI, WebID: webID}, nil
}

// abandon removes a half-created pod after err, even when ctx is what
// ended (within cleanupTimeout), so that the name can be used again.
func abandon(ctx context.Context, store ldp.Store, rootPath string, err error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if cerr := deleteTree(ctx, store, rootPath); cerr != nil {
		return errors.Join(err, fmt.Errorf("pod: removing the half-created pod at %s (Delete it before retrying): %w", rootPath, cerr))
	}
	return err
}

// mustBeAbsent is the claim's precondition: nothing may be there yet.
func mustBeAbsent(cur *ldp.Meta) error {
	if cur != nil {
		return ldp.ErrPreconditionFailed
	}
	return nil
}

func put(ctx context.Context, store ldp.Store, p string, d document, body []byte, pre ldp.Precondition) error {
	_, _, err := store.Put(ctx, ldp.PutRequest{
		Path:         p,
		ContentType:  rdf.MediaTurtle,
		RDF:          true,
		Aux:          d.aux(),
		Body:         bytes.NewReader(body),
		Precondition: pre,
		Origin:       Origin,
	})
	return err
}
