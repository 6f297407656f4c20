package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/federation/remote"
)

// The server-to-server inbox (AP §7): a pod's inbox <pod root>inbox/ (the
// same container Solid apps use as their LDN inbox: server/ routes a POST
// there to this package when it is signed or of an AS2 type, and every
// other POST to ldp) and the shared inbox <base>/.ap/inbox.
//
// A POST is checked in this order, so the cheap refusals come first:
//
//  1. the sending domain's rate (the host of the signature's key id;
//     SECURITY row 43): 429;
//  2. the body: at most MaxActivityBytes (413), a JSON object nested at
//     most MaxJSONDepth deep with at most MaxRecipients addressees, with
//     an id, a type and an actor (400; row 42);
//  3. the HTTP Signature (httpsig.Verifier: 401, or 503 when the key
//     cannot be fetched now; a key that fails is fetched once more, for a
//     rotation: rows 37, 38, 44) and that the key's owner is the
//     activity's actor (401, row 36);
//  4. the origin rules (FEP-fe34, row 40): see checkOrigin; 403;
//  5. which pods it is for (a remote actor's Delete of itself: every pod
//     that knows the actor, podsRelated), and for each, whether their
//     owner blocks the actor (then it is dropped for that pod, answered
//     202 all the same, as Mastodon does: the blocked peer learns
//     nothing).
//
// Then every effect happens and the activity is stored (inboxstore.go);
// the answer is 202 Accepted. Nothing is stored for a refused activity.

// Errors of the inbox beyond those of service.go.
var (
	errUnauthorized = errors.New("unauthorized")
	errForbidden    = errors.New("forbidden")
	errTooLarge     = errors.New("request entity too large")
	errTooMany      = errors.New("too many requests")
	errUnavailable  = errors.New("service unavailable")
)

// Defaults of the inbox's per-domain rate limit.
const (
	DefaultInboxRate  = 100  // activities per second from one domain, sustained
	DefaultInboxBurst = 1000 // and in a burst
	maxLimiterDomains = 10000
	inboxPageSize     = 20
)

func (s *Service) now() time.Time { return time.Now() }

// InboxRequest reports whether r is for the federation inbox rather than
// for ldp, and for which pod: a POST to a pod's inbox container that is
// signed (Signature or Signature-Input) or of an ActivityStreams media
// type, or a GET or HEAD of it that asks for ActivityStreams. Every other
// request to the container (a Solid app's LDN POST, a GET of Turtle) is
// ldp's.
func (s *Service) InboxRequest(r *http.Request) (string, bool) {
	switch r.Method {
	case http.MethodPost:
		if r.Header.Get("Signature") == "" && r.Header.Get("Signature-Input") == "" && !isAS2Type(r.Header.Get("Content-Type")) {
			return "", false
		}
	case http.MethodGet, http.MethodHead:
		if !wantsAS2(r.Header.Get("Accept")) {
			return "", false
		}
	default:
		return "", false
	}
	p, err := s.cfg.Locator.Path(r)
	if err != nil {
		return "", false
	}
	pod, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok || rest != "inbox/" || !validPodName(pod) {
		return "", false
	}
	if _, ok := s.cfg.Pods.OwnerWebID(pod); !ok {
		return "", false
	}
	return pod, true
}

// isAS2Type reports an ActivityStreams media type.
func isAS2Type(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/activity+json" || (mt == "application/ld+json" && strings.Contains(params["profile"], "activitystreams"))
}

// wantsAS2 reports an Accept header that names an ActivityStreams type.
func wantsAS2(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if isAS2Type(strings.TrimSpace(part)) {
			return true
		}
	}
	return false
}

// ServeInbox answers a request InboxRequest gave to the pod's inbox.
func (s *Service) ServeInbox(w http.ResponseWriter, r *http.Request, pod string) {
	var err error
	switch r.Method {
	case http.MethodPost:
		err = s.receive(w, r, pod)
	case http.MethodGet, http.MethodHead:
		err = s.serveInboxCollection(w, r, pod)
	default:
		err = fmt.Errorf("%w: %s", errMethod, r.Method)
	}
	if err != nil {
		s.fail(w, r, err)
	}
}

// ServeSharedInbox answers a POST to the shared inbox.
func (s *Service) ServeSharedInbox(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "the shared inbox takes POST only", http.StatusMethodNotAllowed)
		return
	}
	if err := s.receive(w, r, ""); err != nil {
		s.fail(w, r, err)
	}
}

// signerDomain is the host of the key id a request's signature names
// (cavage keyId, RFC 9421 keyid), the rate limiter's key; "" when none.
func signerDomain(h http.Header) string {
	for _, v := range []string{h.Get("Signature"), h.Get("Signature-Input")} {
		l := strings.ToLower(v)
		i := strings.Index(l, "keyid=\"")
		if i < 0 {
			continue
		}
		rest := v[i+len("keyid=\""):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			rest = rest[:j]
		}
		if u, err := url.Parse(rest); err == nil && u.Host != "" {
			return strings.ToLower(u.Host)
		}
		return "?"
	}
	return ""
}

// receive is a POST to an inbox: pod's, or the shared one when pod is "".
func (s *Service) receive(w http.ResponseWriter, r *http.Request, pod string) error {
	ctx := r.Context()
	if !s.limiter.allow(signerDomain(r.Header)) {
		w.Header().Set("Retry-After", "1")
		return fmt.Errorf("%w: too many activities from this domain", errTooMany)
	}
	if r.ContentLength > MaxActivityBytes {
		return fmt.Errorf("%w: an activity is at most %d bytes", errTooLarge, MaxActivityBytes)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxActivityBytes+1))
	if err != nil {
		return fmt.Errorf("%w: reading the body: %v", errBadRequest, err)
	}
	if len(body) > MaxActivityBytes {
		return fmt.Errorf("%w: an activity is at most %d bytes", errTooLarge, MaxActivityBytes)
	}
	a, err := parseActivity(body)
	if err != nil {
		return err
	}
	if s.cfg.Verifier == nil {
		return fmt.Errorf("federation: no signature verifier configured")
	}
	v, err := s.cfg.Verifier.Verify(r, body)
	if err == nil {
		err = v.CheckActor(a.Actor)
	}
	switch {
	case errors.Is(err, httpsig.ErrKeyUnavailable):
		w.Header().Set("Retry-After", "60")
		return fmt.Errorf("%w: %v", errUnavailable, err)
	case err != nil:
		if gone, gerr := s.goneActorDeleted(ctx, a, err); gerr != nil || gone {
			if gerr == nil {
				w.WriteHeader(http.StatusAccepted)
			}
			return gerr
		}
		// RFC 9110 §11.6.1: a 401 names the scheme it wants.
		w.Header().Set("WWW-Authenticate", `Signature headers="(request-target) host date digest"`)
		return fmt.Errorf("%w: %v", errUnauthorized, err)
	}
	if err := s.checkOrigin(ctx, a); err != nil {
		return err
	}
	pods := []string{pod}
	if pod == "" {
		if pods, err = s.podsFor(ctx, a); err != nil {
			return err
		}
	}
	selfDelete := a.Type == "Delete" && idOf(a.Object) == a.Actor
	if selfDelete {
		if pods, err = s.podsRelated(ctx, a.Actor, pods); err != nil {
			return err
		}
	}
	var todo, blockers []string
	for _, p := range pods {
		blocked, err := s.cfg.Relations.Blocked(ctx, p, a.Actor)
		if err != nil {
			return err
		}
		if !blocked {
			todo = append(todo, p)
		} else {
			blockers = append(blockers, p)
		}
	}
	// Every pod's checks before any effect: a refusal stores nothing.
	for _, p := range todo {
		if err := s.checkFor(ctx, p, a); err != nil {
			return err
		}
	}
	if selfDelete {
		// A pod that blocks the actor hears nothing from it, but its
		// graph forgets the actor all the same.
		for _, p := range blockers {
			if err := s.cfg.Relations.Forget(ctx, p, a.Actor); err != nil {
				return err
			}
		}
	}
	for _, p := range todo {
		if err := s.apply(ctx, p, a); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// podsFor is which local pods a shared-inbox activity is for: those it
// addresses (their actor, or their followers collection when the actor
// follows them), the one whose actor or object it acts on, and those that
// follow the actor.
func (s *Service) podsFor(ctx context.Context, a *asActivity) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(pod string) {
		if !seen[pod] {
			if _, ok := s.cfg.Pods.OwnerWebID(pod); ok {
				out = append(out, pod)
			}
			seen[pod] = true
		}
	}
	for _, iri := range addressed(a.Raw) {
		rt, ok := s.cfg.Paths.ParseIRI(iri)
		switch {
		case !ok:
		case rt.Kind == KindActor:
			add(rt.Pod)
		case rt.Kind == KindFollowers:
			if _, ok, err := s.cfg.Relations.Follower(ctx, rt.Pod, a.Actor); err != nil {
				return nil, err
			} else if ok {
				add(rt.Pod)
			}
		}
	}
	targets := []string{idOf(a.Object)}
	if o, ok := a.Object.(map[string]any); ok {
		targets = append(targets, idOf(o["object"]), idOf(o["inReplyTo"]))
	}
	for _, iri := range targets {
		if rt, ok := s.cfg.Paths.ParseIRI(iri); ok && iri != "" {
			add(rt.Pod)
		}
	}
	following, err := s.cfg.Relations.PodsFollowing(ctx, a.Actor)
	if err != nil {
		return nil, err
	}
	for _, p := range following {
		add(p)
	}
	return out, nil
}

// goneActorDeleted handles a remote actor's Delete of itself whose
// signature could not be checked because the key's document is gone (404
// or 410: a deleted account's server stops serving its key, and we keep
// keys only in a cache). The signature proves nothing then, so nothing is
// stored; but when the actor's own IRI, fetched now, is gone too (its
// server says so, whoever sent this), every pod forgets the actor, as
// GoToSocial and Mastodon drop an account whose server answers 410. It
// reports whether it did.
func (s *Service) goneActorDeleted(ctx context.Context, a *asActivity, verr error) (bool, error) {
	if a.Type != "Delete" || idOf(a.Object) != a.Actor || !errors.Is(verr, httpsig.ErrNoKey) ||
		!errors.Is(verr, remote.ErrNotFound) || s.cfg.Fetch == nil {
		return false, nil
	}
	if _, err := s.cfg.Fetch.Fetch(ctx, a.Actor); !errors.Is(err, remote.ErrNotFound) {
		return false, nil
	}
	pods, err := s.cfg.Relations.PodsRelated(ctx, a.Actor)
	if err != nil {
		return false, err
	}
	for _, p := range pods {
		if err := s.cfg.Relations.Forget(ctx, p, a.Actor); err != nil {
			return false, err
		}
	}
	s.log.InfoContext(ctx, "federation: a deleted actor is gone from every pod", "actor", a.Actor, "pods", len(pods))
	return true, nil
}

// podsRelated adds to pods every existing pod that knows actor (follows
// it, is followed by it, or has its Follow waiting: Relations.PodsRelated,
// the reverse index): a remote actor's Delete of itself reaches every pod
// of this server whatever it addresses and wherever it was posted (a
// peer sends it once per shared inbox, to whom it chooses).
func (s *Service) podsRelated(ctx context.Context, actor string, pods []string) ([]string, error) {
	related, err := s.cfg.Relations.PodsRelated(ctx, actor)
	if err != nil {
		return nil, err
	}
	for _, p := range related {
		if slices.Contains(pods, p) {
			continue
		}
		if _, ok := s.cfg.Pods.OwnerWebID(p); ok {
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// checkOrigin applies the origin rules that do not depend on the pod
// (FEP-fe34; SECURITY row 40), changing a.Raw where an embedded object is
// replaced by its fetched copy:
//
//   - Create and Update: the object's id has the actor's origin, and its
//     attributedTo, when given, is the actor; an object given by IRI
//     only is fetched (and must pass the same);
//   - Delete: the object's id has the actor's origin;
//   - Undo: the activity taken back is the actor's (its actor is the
//     actor, its id of the actor's origin);
//   - any other activity: an embedded object of another origin is not
//     trusted: it is fetched again from its id and replaced by what the
//     fetch returned, or by its bare id when that fails.
func (s *Service) checkOrigin(ctx context.Context, a *asActivity) error {
	objID := idOf(a.Object)
	switch a.Type {
	case "Create", "Update":
		if !sameOrigin(objID, a.Actor) {
			return fmt.Errorf("%w: %s of an object of another origin (%s)", errForbidden, a.Type, objID)
		}
		obj, ok := a.Object.(map[string]any)
		if !ok {
			doc, err := s.fetch(ctx, objID)
			if err != nil {
				return err
			}
			obj = doc
		}
		if objID != a.Actor {
			if by := idOf(obj["attributedTo"]); by != "" && by != a.Actor {
				return fmt.Errorf("%w: %s of an object attributed to %s", errForbidden, a.Type, by)
			}
		}
		a.Object, a.Raw["object"] = obj, obj
	case "Delete":
		if !sameOrigin(objID, a.Actor) {
			return fmt.Errorf("%w: Delete of an object of another origin (%s)", errForbidden, objID)
		}
	case "Undo":
		if !sameOrigin(objID, a.Actor) {
			return fmt.Errorf("%w: Undo of an activity of another origin (%s)", errForbidden, objID)
		}
		if obj, ok := a.Object.(map[string]any); ok {
			if by := idOf(obj["actor"]); by != a.Actor {
				return fmt.Errorf("%w: Undo of an activity by %s", errForbidden, by)
			}
		}
	default:
		if _, ok := a.Object.(map[string]any); ok && !sameOrigin(objID, a.Actor) && !s.local(objID) {
			var v any = objID
			if doc, err := s.fetch(ctx, objID); err == nil {
				v = doc
			}
			a.Object, a.Raw["object"] = v, v
		}
	}
	return nil
}

// local reports an IRI of this server.
func (s *Service) local(iri string) bool {
	return iri != "" && sameOrigin(iri, s.cfg.Paths.Base())
}

// fetch fetches a remote object (the fetcher checks it is served as AS2
// and that its id is the URL: SECURITY row 39).
func (s *Service) fetch(ctx context.Context, iri string) (map[string]any, error) {
	if s.cfg.Fetch == nil || iri == "" {
		return nil, fmt.Errorf("%w: object %s cannot be fetched", errBadRequest, iri)
	}
	doc, err := s.cfg.Fetch.Fetch(ctx, iri)
	switch {
	case errors.Is(err, remote.ErrTemporary):
		return nil, fmt.Errorf("%w: fetching %s: %v", errUnavailable, iri, err)
	case err != nil:
		return nil, fmt.Errorf("%w: fetching %s: %v", errBadRequest, iri, err)
	}
	return doc.Object, nil
}

// checkFor applies the origin rules that depend on what pod holds: an
// Update or Delete must name an object that, where pod has a copy, is
// the actor's; an Accept or Reject must answer a Follow pod's actor sent
// to the actor.
func (s *Service) checkFor(ctx context.Context, pod string, a *asActivity) error {
	objID := idOf(a.Object)
	switch a.Type {
	case "Update", "Delete":
		hs, err := s.holders(ctx, pod, objID)
		if err != nil {
			return err
		}
		for _, h := range hs {
			if h.ObjActor != "" && h.ObjActor != a.Actor {
				return fmt.Errorf("%w: %s of an object of another actor", errForbidden, a.Type)
			}
		}
	case "Accept", "Reject":
		f, ok, err := s.cfg.Relations.Following(ctx, pod, a.Actor)
		if err != nil {
			return err
		}
		if !ok || f.FollowID == "" || f.FollowID != objID {
			return fmt.Errorf("%w: %s of a Follow this actor never sent to %s", errForbidden, a.Type, a.Actor)
		}
	}
	return nil
}

// apply carries out a's effects for pod and stores it in pod's inbox.
func (s *Service) apply(ctx context.Context, pod string, a *asActivity) error {
	objID := idOf(a.Object)
	mine := func(kind Kind) bool {
		rt, ok := s.cfg.Paths.ParseIRI(objID)
		return ok && rt.Kind == kind && rt.Pod == pod
	}
	switch a.Type {
	case "Follow":
		if !mine(KindActor) {
			break
		}
		if err := s.follow(ctx, pod, a); err != nil {
			return err
		}
	case "Accept", "Reject":
		f, _, err := s.cfg.Relations.Following(ctx, pod, a.Actor)
		if err != nil {
			return err
		}
		f.State = FollowAccepted
		if a.Type == "Reject" {
			f.State = FollowRejected
		}
		if err := s.cfg.Relations.SetFollowing(ctx, pod, f); err != nil {
			return err
		}
	case "Block":
		if mine(KindActor) {
			if err := s.cfg.Relations.RemoveFollower(ctx, pod, a.Actor); err != nil {
				return err
			}
			if err := s.cfg.Relations.RemoveFollowing(ctx, pod, a.Actor); err != nil {
				return err
			}
		}
	case "Undo":
		if err := s.undo(ctx, pod, a); err != nil {
			return err
		}
	case "Update":
		hs, err := s.holders(ctx, pod, objID)
		if err != nil {
			return err
		}
		if obj, ok := a.Object.(map[string]any); ok {
			if err := s.replaceObject(ctx, pod, hs, obj); err != nil {
				return err
			}
		}
	case "Delete":
		if objID == a.Actor {
			// The actor is gone: it follows and is followed no more, and
			// its waiting Follow is dropped.
			if err := s.cfg.Relations.Forget(ctx, pod, a.Actor); err != nil {
				return err
			}
		}
		hs, err := s.holders(ctx, pod, objID)
		if err != nil {
			return err
		}
		for _, h := range hs {
			doc, err := s.readJSON(ctx, h.Path)
			if err != nil {
				continue
			}
			if err := s.replaceObject(ctx, pod, []inboxRecord{h}, tombstone(objID, typeOf(doc["object"]), s.now())); err != nil {
				return err
			}
		}
	}
	return s.storeActivity(ctx, pod, a)
}

// follow answers a Follow of pod's actor: the follower is recorded and an
// Accept sent to its inbox, or, for a locked account, the Follow waits for
// the owner.
func (s *Service) follow(ctx context.Context, pod string, a *asActivity) error {
	doc, err := s.fetch(ctx, a.Actor)
	if err != nil {
		return err
	}
	inbox := idOf(doc["inbox"])
	if !httpIRI(inbox) {
		return fmt.Errorf("%w: the follower %s has no inbox", errBadRequest, a.Actor)
	}
	f := Follower{Actor: a.Actor, Inbox: inbox}
	if ep, ok := doc["endpoints"].(map[string]any); ok {
		if si := str(ep["sharedInbox"]); httpIRI(si) {
			f.SharedInbox = si
		}
	}
	set, err := LoadSettings(ctx, s.cfg.Records, pod)
	if err != nil {
		return err
	}
	if set.Locked {
		return s.cfg.Relations.SetPending(ctx, pod, f, a.ID)
	}
	if err := s.cfg.Relations.AddFollower(ctx, pod, f); err != nil {
		return err
	}
	return s.answerFollow(ctx, pod, "Accept", f, a.ID, idOf(a.Object))
}

// answerFollow answers the Follow followID (whose object was object) with
// an Accept or Reject from pod's actor, addressed to the follower. The
// answer is stored in the owner's outbox (<pod>/outbox/<typ>-<hash of the
// Follow's id>, readable by the owner through LDP, and served at its id
// to the owner and to a signed GET by the follower: getView), so its id
// dereferences like every other activity of the actor; the outbox
// consumer delivers it from the change log, as it delivers the owner's
// own activities. A Follow sent again with the same id (the peer never
// heard the answer) finds the answer stored and has it sent again to the
// follower's inbox (idempotent by its id within deliver.KeyTTL).
func (s *Service) answerFollow(ctx context.Context, pod, typ string, f Follower, followID, object string) error {
	seg := strings.ToLower(typ) + "-" + hashName(followID)
	id := s.cfg.Paths.Activity(pod, seg)
	act := map[string]any{
		"@context":  asContext,
		"id":        id,
		"type":      typ,
		"actor":     s.cfg.Paths.Actor(pod),
		"object":    map[string]any{"id": followID, "type": "Follow", "actor": f.Actor, "object": object},
		"to":        []any{f.Actor},
		"published": s.now().UTC().Format(time.RFC3339),
	}
	created, err := s.putActivity(ctx, pod, seg, act)
	if err != nil || created || s.cfg.Deliver == nil {
		return err
	}
	b, err := json.Marshal(act)
	if err != nil {
		return err
	}
	return s.send(ctx, pod, b, []string{f.Inbox}, id)
}

// undo takes back the activity a's object names, for pod.
func (s *Service) undo(ctx context.Context, pod string, a *asActivity) error {
	objID := idOf(a.Object)
	typ := typeOf(a.Object)
	rec, found, err := s.record(ctx, pod, objID)
	if err != nil {
		return err
	}
	if found {
		if rec.Actor != a.Actor {
			return fmt.Errorf("%w: Undo of an activity by another actor", errForbidden)
		}
		if typ == "" {
			typ = rec.Type
		}
	}
	switch typ {
	case "Follow":
		if err := s.cfg.Relations.RemoveFollower(ctx, pod, a.Actor); err != nil {
			return err
		}
		if _, _, err := s.cfg.Relations.TakePending(ctx, pod, a.Actor); err != nil {
			return err
		}
	case "Block":
	default:
		if found {
			return s.markUndone(ctx, pod, rec, a.ID)
		}
	}
	return nil
}
