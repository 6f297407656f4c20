package federation

import (
	"context"
	"errors"
	"strings"

	"github.com/naamio/naamio/ldp"
)

// What the owner's pages show (web/fedpage). These read the pod's data
// without an access decision of their own: the caller decides first, as
// the person, with an in-process request to the LDP handler (Read on
// <pod>/inbox/ or <pod>/outbox/), so WAC stays the one authority.

// InboxItems is page n (from 1) of pod's inbox, newest first: the stored
// activities as received (with their Update/Delete/Undo effects), and
// the total number.
func (s *Service) InboxItems(ctx context.Context, pod string, n, size int) ([]map[string]any, int, error) {
	if !validPodName(pod) || n < 1 || n > 1_000_000 || size < 1 || size > 100 {
		return nil, 0, errBadRequest
	}
	recs, total, err := s.inboxPage(ctx, pod, (n-1)*size, size)
	if err != nil {
		return nil, 0, err
	}
	items := make([]map[string]any, 0, len(recs))
	for _, rec := range recs {
		doc, err := s.readJSON(ctx, rec.Path)
		if err != nil {
			continue
		}
		items = append(items, doc)
	}
	return items, total, nil
}

// OwnerPosts is up to n of the newest Creates in pod's outbox (every
// audience; a deleted post's object is its Tombstone), each the stored
// activity with its object embedded.
func (s *Service) OwnerPosts(ctx context.Context, pod string, n int) ([]map[string]any, error) {
	if !validPodName(pod) || n < 1 {
		return nil, errBadRequest
	}
	kids, err := s.cfg.Store.Children(ctx, outboxPath(pod, ""))
	if errors.Is(err, ldp.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	// Ids sort by creation time; the automatic Accepts ("accept-…") sort
	// after them and are no posts.
	for i := len(kids) - 1; i >= 0 && len(out) < n; i-- {
		id := kids[i].Path[strings.LastIndexByte(strings.TrimSuffix(kids[i].Path, "/"), '/')+1:]
		if !validID(id) || strings.Contains(id, "-") {
			continue
		}
		a, err := s.readActivity(ctx, pod, id)
		if err != nil || a["type"] != "Create" {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}
