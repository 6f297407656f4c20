package federation

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/ldp"
)

// The owner's outbox (ActivityPub §6, C2S). A POST by the pod's owner is
// normalised (activity.go), stored as <pod>/outbox/<id> (one JSON-LD
// resource per activity, the object of a Create embedded; written as the
// server with origin OriginFederation so the change log carries it), its
// local effects recorded, and delivered by the outbox consumer
// (outboxfeed.go) from the change log. The container <pod>/outbox/ keeps
// the pod's ACLs (owner only): the public reads the AS2 views this file
// serves under the actor (<actor>/outbox, <actor>/objects/<id>,
// <actor>/activities/<id>), which show public activities only.

// outboxPageSize is the number of activities on one outbox page.
const outboxPageSize = 20

// mediaLDJSON is the media type of stored activities.
const mediaLDJSON = "application/ld+json"

// Errors of the outbox's authorization and storage.
var (
	errNoCredentials = fmt.Errorf("%w: the outbox needs the owner's credentials", errUnauthorized)
	errNotOwner      = fmt.Errorf("%w: only the pod's owner may post to its outbox", errForbidden)
	errMediaType     = errors.New("unsupported media type")
)

// outboxIndexKey is the key of the index of pod's public activities in
// Records (kv.Federation): op/<pod>/<id>, its value the activity's type
// ("Deleted" for a Create whose object was deleted since). The outbox
// collection lists and counts it without reading the activities, and
// NodeInfo counts its Creates (localposts.go).
func outboxIndexKey(pod, id string) string { return "op/" + pod + "/" + id }

// outboxPath is the store path of pod's stored activity id ("" for the
// container).
func outboxPath(pod, id string) string { return "/" + pod + "/outbox/" + id }

// OutboxHandler serves <actor>/outbox (GET: the public collection; POST:
// C2S by the owner), <actor>/objects/<id> and <actor>/activities/<id>.
func (s *Service) OutboxHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.serveOutbox(w, r); err != nil {
			if errors.Is(err, errNoCredentials) {
				w.Header().Set("WWW-Authenticate", `DPoP algs="ES256 PS256 RS256"`)
			}
			if errors.Is(err, errMethod) {
				w.Header().Set("Allow", "GET, HEAD, POST")
			}
			s.fail(w, r, err)
		}
	})
}

func (s *Service) serveOutbox(w http.ResponseWriter, r *http.Request) error {
	rt, ok := s.cfg.Paths.Parse(r.URL.EscapedPath())
	if !ok || (rt.Kind != KindOutbox && rt.Kind != KindObject && rt.Kind != KindActivity) {
		return errNotFound
	}
	if _, ok := s.cfg.Pods.OwnerWebID(rt.Pod); !ok {
		return fmt.Errorf("%w: no pod %q", errNotFound, rt.Pod)
	}
	if rt.Kind == KindOutbox && r.Method == http.MethodPost {
		return s.postOutbox(w, r, rt.Pod)
	}
	if err := onlyRead(r); err != nil {
		return err
	}
	switch rt.Kind {
	case KindOutbox:
		return s.getOutbox(w, r, rt.Pod)
	case KindObject:
		return s.getView(w, r, rt.Pod, rt.ID, true)
	}
	return s.getView(w, r, rt.Pod, rt.ID, false)
}

// postOutbox is C2S: the owner (Solid-OIDC, the agent the server's auth
// middleware found) posts an activity or a bare object.
func (s *Service) postOutbox(w http.ResponseWriter, r *http.Request, pod string) error {
	owner, _ := s.cfg.Pods.OwnerWebID(pod)
	if s.cfg.Agent == nil {
		return errNoCredentials
	}
	webID, err := s.cfg.Agent(r)
	if err != nil || webID == "" {
		return errNoCredentials
	}
	if webID != owner {
		return errNotOwner
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !(mt == "application/activity+json" || mt == "application/json" ||
		mt == "application/ld+json" && (params["profile"] == "" || isAS2Profile(params["profile"]))) {
		return fmt.Errorf("%w: post application/activity+json", errMediaType)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxOutboxBody+1))
	if err != nil {
		return fmt.Errorf("%w: reading the body: %v", errBadRequest, err)
	}
	mu, _ := s.outboxLocks.LoadOrStore(pod, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	n, err := normaliseOutgoing(body, s.outgoing(r.Context(), pod))
	if err != nil {
		return err
	}
	if err := s.storeOutgoing(r.Context(), pod, n); err != nil {
		return err
	}
	if err := s.outboxEffects(r.Context(), pod, n); err != nil {
		return err
	}
	w.Header().Set("Location", n.Activity["id"].(string))
	w.Header().Set("Content-Type", MediaActivityJSON)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	return json.NewEncoder(w).Encode(n.Activity)
}

func isAS2Profile(p string) bool {
	for _, f := range strings.Fields(p) {
		if strings.TrimSuffix(strings.ToLower(f), "/") == asContext {
			return true
		}
	}
	return false
}

// outgoing is the normaliser's view of pod's outbox.
func (s *Service) outgoing(ctx context.Context, pod string) outgoing {
	return outgoing{Paths: s.cfg.Paths, Pod: pod, Now: time.Now(), NewID: s.newActivityID,
		Stored: func(iri string) (map[string]any, bool, error) {
			rt, ok := s.cfg.Paths.ParseIRI(iri)
			if !ok || rt.Pod != pod {
				return nil, false, nil
			}
			a, err := s.readActivity(ctx, pod, rt.ID)
			if errors.Is(err, errNotFound) {
				return nil, false, nil
			}
			if err != nil || rt.Kind != KindObject {
				return a, err == nil, err
			}
			// An object's id segment is its Create's.
			return a, a["type"] == "Create", nil
		},
		Pending: s.pendingFollow(ctx, pod),
	}
}

// newActivityID is a fresh id segment that sorts by creation time (the
// outbox lists newest first by it): 14 hex digits of Unix microseconds,
// strictly increasing, and 8 random ones.
func (s *Service) newActivityID() string {
	var us int64
	for {
		last := s.lastID.Load()
		us = max(time.Now().UnixMicro(), last+1)
		if s.lastID.CompareAndSwap(last, us) {
			break
		}
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%014x", us) + hex.EncodeToString(b[:])
}

// storeOutgoing writes n as <pod>/outbox/<id>; an Update or Delete also
// rewrites the stored Create of its object, so the object's view shows the
// edit or the Tombstone (that rewrite is a change of an existing resource,
// which the delivery consumer does not send).
func (s *Service) storeOutgoing(ctx context.Context, pod string, n *normalised) error {
	if isPublic(n.Activity) {
		// Indexed before it is stored: a crash between the two leaves an
		// index entry without a resource, which the listing skips.
		if err := s.cfg.Records.Put(ctx, outboxIndexKey(pod, n.ID), []byte(n.Type), 0); err != nil {
			return err
		}
	}
	if _, err := s.putActivity(ctx, pod, n.ID, n.Activity); err != nil {
		return err
	}
	s.markActive(ctx, pod)
	if n.Type != "Update" && n.Type != "Delete" {
		return nil
	}
	rt, _ := s.cfg.Paths.ParseIRI(n.objectIRI())
	created, err := s.readActivity(ctx, pod, rt.ID)
	if err != nil {
		return err
	}
	created["object"] = n.object()
	if _, err := s.putActivity(ctx, pod, rt.ID, created); err != nil {
		return err
	}
	if n.Type == "Delete" {
		// The post no longer counts (NodeInfo's localPosts).
		k := outboxIndexKey(pod, rt.ID)
		if _, err := s.cfg.Records.Get(ctx, k); err == nil {
			return s.cfg.Records.Put(ctx, k, []byte("Deleted"), 0)
		}
	}
	return nil
}

// putActivity stores a as <pod>/outbox/<id>; created reports a new
// resource (whose change the outbox consumer delivers).
func (s *Service) putActivity(ctx context.Context, pod, id string, a map[string]any) (created bool, err error) {
	raw, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	_, created, err = s.cfg.Store.Put(ctx, ldp.PutRequest{Path: outboxPath(pod, id), ContentType: mediaLDJSON,
		Body: bytes.NewReader(raw), SizeHint: int64(len(raw)), Origin: OriginFederation})
	if err != nil {
		return false, fmt.Errorf("storing the activity: %w", err)
	}
	return created, nil
}

// readActivity reads the stored activity <pod>/outbox/<id>.
func (s *Service) readActivity(ctx context.Context, pod, id string) (map[string]any, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	_, rc, err := s.cfg.Store.Open(ctx, outboxPath(pod, id))
	if errors.Is(err, ldp.ErrNotFound) {
		return nil, fmt.Errorf("%w: no activity %s", errNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var a map[string]any
	if err := json.NewDecoder(io.LimitReader(rc, 4*MaxOutboxBody)).Decode(&a); err != nil {
		return nil, fmt.Errorf("%w: stored activity %s/%s is not JSON", errNotFound, pod, id)
	}
	// The container is the owner's, who could write into it through LDP:
	// only what has this activity's id and this pod's actor counts as the
	// server's (a user-written file is never served or sent as AS2).
	if a["id"] != s.cfg.Paths.Activity(pod, id) || a["actor"] != s.cfg.Paths.Actor(pod) {
		return nil, fmt.Errorf("%w: %s/%s is not an activity of the outbox", errNotFound, pod, id)
	}
	if o, ok := a["object"].(map[string]any); ok && a["type"] == "Create" && o["id"] != s.cfg.Paths.Object(pod, id) {
		return nil, fmt.Errorf("%w: %s/%s is not an activity of the outbox", errNotFound, pod, id)
	}
	return a, nil
}

// isPublic reports an activity or object addressed to the public
// collection. Only those are shown to anyone; the others to their
// recipients (mayReadPrivate).
func isPublic(m map[string]any) bool {
	for _, k := range []string{"to", "cc", "audience"} {
		if slices.Contains(asStrings(m[k]), PublicIRI) {
			return true
		}
	}
	return false
}

// publicView is what others see of a stored activity or object: without
// bto and bcc (AP §6: never shown), recursively for the embedded object.
func publicView(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch k {
		case "bto", "bcc", "@context":
			continue
		}
		if o, ok := v.(map[string]any); ok {
			v = publicView(o)
		}
		out[k] = v
	}
	return out
}

// getView serves the AS2 view of <actor>/objects/<id> (object true) or
// <actor>/activities/<id>: a public one to anyone, another to those
// mayReadPrivate lets in (404 to the rest), a deleted object as its
// Tombstone with 410.
func (s *Service) getView(w http.ResponseWriter, r *http.Request, pod, id string, object bool) error {
	a, err := s.readActivity(r.Context(), pod, id)
	if err != nil {
		return err
	}
	doc := a
	if object {
		o, ok := a["object"].(map[string]any)
		if !ok || a["type"] != "Create" {
			return errNotFound
		}
		doc = o
	}
	// A private one only to its owner and recipients (outbox_access.go),
	// never kept by a shared cache.
	w.Header().Set("Vary", "Accept, Authorization, Signature, Signature-Input")
	if !isPublic(a) {
		if !s.mayReadPrivate(r, pod, a) {
			return errNotFound
		}
		w.Header().Set("Cache-Control", "private, no-store")
	}
	status := http.StatusOK
	if o, _ := a["object"].(map[string]any); a["type"] == "Create" && o != nil && o["type"] == "Tombstone" {
		status, doc = http.StatusGone, o
	}
	v := publicView(doc)
	v["@context"] = asContext
	return writeAS2(w, r, status, v)
}

// writeAS2 answers an AS2 document.
func writeAS2(w http.ResponseWriter, r *http.Request, status int, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", MediaActivityJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
	if w.Header().Get("Vary") == "" {
		w.Header().Set("Vary", "Accept")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(raw)
	}
	return nil
}

// getOutbox serves the outbox: an OrderedCollection of the activities
// the reader may see, newest first, with totalItems; ?page=true (and
// before=<id>) is one OrderedCollectionPage. Anonymous readers see the
// public activities (from the index); the owner every activity, and a
// signed GET what outbox_access.go lets its signer see (outboxFor).
func (s *Service) getOutbox(w http.ResponseWriter, r *http.Request, pod string) error {
	ctx := r.Context()
	w.Header().Set("Vary", "Accept, Authorization, Signature, Signature-Input")
	if v := s.readerOf(r, pod); !v.anonymous() {
		w.Header().Set("Cache-Control", "private, no-store")
		return s.outboxFor(w, r, pod, v)
	}
	var ids []string
	prefix := outboxIndexKey(pod, "")
	if err := s.cfg.Records.List(ctx, prefix, func(k string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(k, prefix))
		return nil
	}); err != nil {
		return err
	}
	slices.Reverse(ids) // newest first: ids sort by creation time
	outbox := s.cfg.Paths.Outbox(pod)
	q := r.URL.Query()
	if q.Get("page") == "" {
		return writeAS2(w, r, http.StatusOK, map[string]any{"@context": asContext, "id": outbox,
			"type": "OrderedCollection", "totalItems": len(ids), "first": outbox + "?page=true"})
	}
	before := q.Get("before")
	if before != "" && !validID(before) {
		return fmt.Errorf("%w: before", errBadRequest)
	}
	items := []any{}
	next := ""
	for _, id := range ids {
		if before != "" && id >= before {
			continue
		}
		if len(items) == outboxPageSize {
			next = outbox + "?page=true&before=" + items[len(items)-1].(map[string]any)["_id"].(string)
			break
		}
		a, err := s.readActivity(ctx, pod, id)
		if err != nil || !isPublic(a) {
			continue
		}
		v := publicView(a)
		v["_id"] = id
		items = append(items, v)
	}
	return writeOutboxPage(w, r, outbox, before, next, items)
}

// writeOutboxPage answers one OrderedCollectionPage of the outbox: items
// (each with its cursor in "_id", removed here), the page's own id from
// the before cursor, and next when there is more.
func writeOutboxPage(w http.ResponseWriter, r *http.Request, outbox, before, next string, items []any) error {
	for _, it := range items {
		delete(it.(map[string]any), "_id")
	}
	self := outbox + "?page=true"
	if before != "" {
		self += "&before=" + before
	}
	page := map[string]any{"@context": asContext, "id": self, "type": "OrderedCollectionPage",
		"partOf": outbox, "orderedItems": items}
	if next != "" {
		page["next"] = next
	}
	return writeAS2(w, r, http.StatusOK, page)
}
