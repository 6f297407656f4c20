package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Collections the server generates: a pod's inbox as an OrderedCollection
// for its owner (AP §5.2), and the followers and following collections
// (AP §5.3, §5.4). Their counts are public; so are their members, as
// Mastodon shows them unless the owner hides them (no setting for that
// yet). Pages hold collectionPageSize items and are named ?page=N (1 is
// the first) for the inbox, ?page=true&after=<actor> for the others.

// Access is what the inbox needs of ldp: the access decision a GET of a
// resource gets (the owner, and the apps the owner allows, may read the
// inbox; nobody else).
type Access interface {
	// MayReadRequest reports whether r's agent has Read on the resource
	// at the store path p.
	MayReadRequest(r *http.Request, p string) bool
	// RefuseRead answers r as ldp answers a GET without Read (401 or
	// 403).
	RefuseRead(w http.ResponseWriter, r *http.Request, p string)
}

// SetAccess gives the service ldp's access decisions, which exist only
// once the LDP handler is built (after the service). Call before serving.
func (s *Service) SetAccess(a Access) { s.access = a }

const collectionPageSize = inboxPageSize

// serveInboxCollection answers GET of a pod's inbox as ActivityStreams.
func (s *Service) serveInboxCollection(w http.ResponseWriter, r *http.Request, pod string) error {
	dir, err := s.inboxPath(pod)
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "Accept, Authorization, Origin")
	if s.access == nil || !s.access.MayReadRequest(r, dir) {
		if s.access == nil {
			return fmt.Errorf("%w: no access decisions", errUnauthorized)
		}
		s.access.RefuseRead(w, r, dir)
		return nil
	}
	ctx := r.Context()
	id := s.cfg.Paths.Inbox(pod)
	q := r.URL.Query()
	if q.Get("page") == "" {
		_, total, err := s.inboxPage(ctx, pod, 0, 0)
		if err != nil {
			return err
		}
		return writeCollection(w, r, map[string]any{
			"@context": asContext, "id": id, "type": "OrderedCollection",
			"totalItems": total, "first": id + "?page=1",
		}, true)
	}
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 || n > 1_000_000 {
		return fmt.Errorf("%w: page is a number from 1", errBadRequest)
	}
	recs, total, err := s.inboxPage(ctx, pod, (n-1)*inboxPageSize, inboxPageSize)
	if err != nil {
		return err
	}
	items := make([]any, 0, len(recs))
	for _, rec := range recs {
		doc, err := s.readJSON(ctx, rec.Path)
		if err != nil {
			s.log.WarnContext(ctx, "inbox activity unreadable", "path", rec.Path, "err", err)
			continue
		}
		items = append(items, doc)
	}
	page := map[string]any{
		"@context": asContext, "id": id + "?page=" + strconv.Itoa(n), "type": "OrderedCollectionPage",
		"partOf": id, "totalItems": total, "orderedItems": items,
	}
	if n*inboxPageSize < total {
		page["next"] = id + "?page=" + strconv.Itoa(n+1)
	}
	if n > 1 {
		page["prev"] = id + "?page=" + strconv.Itoa(n-1)
	}
	return writeCollection(w, r, page, true)
}

// ServeCollection answers GET of a pod's followers or following
// collection.
func (s *Service) ServeCollection(w http.ResponseWriter, r *http.Request) {
	if err := s.serveCollection(w, r); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Service) serveCollection(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Vary", "Accept")
	if err := onlyRead(r); err != nil {
		return err
	}
	rt, ok := s.cfg.Paths.Parse(r.URL.EscapedPath())
	if !ok || (rt.Kind != KindFollowers && rt.Kind != KindFollowing) {
		return fmt.Errorf("%w: no collection at %s", errNotFound, r.URL.Path)
	}
	if _, err := s.podWebID(rt.Pod); err != nil {
		return err
	}
	ctx := r.Context()
	id, count, list := s.cfg.Paths.Followers(rt.Pod), s.countFollowers, s.followers
	if rt.Kind == KindFollowing {
		id, count, list = s.cfg.Paths.Following(rt.Pod), s.countFollowing, s.following
	}
	q := r.URL.Query()
	total, err := count(ctx, rt.Pod)
	if err != nil {
		return err
	}
	if q.Get("page") == "" {
		return writeCollection(w, r, map[string]any{
			"@context": asContext, "id": id, "type": "OrderedCollection",
			"totalItems": total, "first": id + "?page=true",
		}, false)
	}
	after := q.Get("after")
	if len(after) > MaxActorIRI {
		return fmt.Errorf("%w: after is too long", errBadRequest)
	}
	items, next, err := list(ctx, rt.Pod, after)
	if err != nil {
		return err
	}
	pageID := id + "?page=true"
	if after != "" {
		pageID += "&after=" + url.QueryEscape(after)
	}
	page := map[string]any{
		"@context": asContext, "id": pageID, "type": "OrderedCollectionPage",
		"partOf": id, "totalItems": total, "orderedItems": items,
	}
	if next != "" {
		page["next"] = id + "?page=true&after=" + url.QueryEscape(next)
	}
	return writeCollection(w, r, page, false)
}

func (s *Service) countFollowers(ctx context.Context, pod string) (int, error) {
	return s.cfg.Relations.CountFollowers(ctx, pod)
}

// countFollowing counts the accepted follows only.
func (s *Service) countFollowing(ctx context.Context, pod string) (int, error) {
	n, after := 0, ""
	for {
		fs, next, err := s.cfg.Relations.ListFollowing(ctx, pod, after, 500)
		if err != nil {
			return 0, err
		}
		for _, f := range fs {
			if f.State == FollowAccepted {
				n++
			}
		}
		if next == "" {
			return n, nil
		}
		after = next
	}
}

func (s *Service) followers(ctx context.Context, pod, after string) ([]string, string, error) {
	fs, next, err := s.cfg.Relations.Followers(ctx, pod, after, collectionPageSize)
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Actor)
	}
	return out, next, err
}

func (s *Service) following(ctx context.Context, pod, after string) ([]string, string, error) {
	fs, next, err := s.cfg.Relations.ListFollowing(ctx, pod, after, collectionPageSize)
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		if f.State == FollowAccepted {
			out = append(out, f.Actor)
		}
	}
	return out, next, err
}

// writeCollection answers a collection or page as AS2 (private ones are
// not cached by shared caches).
func writeCollection(w http.ResponseWriter, r *http.Request, doc map[string]any, private bool) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	body = append(body, '\n')
	hd := w.Header()
	hd.Set("Content-Type", MediaActivityJSON)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("X-Content-Type-Options", "nosniff")
	if private {
		hd.Set("Cache-Control", "private, no-store")
	} else {
		hd.Set("Cache-Control", "max-age=60")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}
