package federation

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/naamio/naamio/ldp"
)

// The outbox as its owner and signed readers see it (issue 14): every
// activity the reader may read by the rule of outbox_access.go — the
// owner all of them (followers-only, direct, the automatic Accepts and
// Rejects), a follower's signed GET also the followers-only ones, an
// addressee's those addressed to it. They are read from the stored
// activities themselves (the index lists public ones only), so a
// request reads the whole outbox: it is for the owner's apps and for
// peers that refetch, not for the public, which keeps the index.

// outboxEntry is one stored activity and when it was made.
type outboxEntry struct {
	id string
	at time.Time
	a  map[string]any
}

// entryTime is when the activity id was made: the time in an outbox id
// (newActivityID), else its published.
func entryTime(id string, a map[string]any) time.Time {
	if len(id) == 22 && !strings.Contains(id, "-") {
		if us, err := strconv.ParseInt(id[:14], 16, 64); err == nil {
			return time.UnixMicro(us)
		}
	}
	if p, _ := a["published"].(string); p != "" {
		if t, err := time.Parse(time.RFC3339, p); err == nil {
			return t
		}
	}
	return time.Time{}
}

// newer orders entries newest first (then by id, descending).
func newer(x, y outboxEntry) int {
	if c := y.at.Compare(x.at); c != 0 {
		return c
	}
	return strings.Compare(y.id, x.id)
}

// outboxFor answers the outbox collection or one of its pages for v.
func (s *Service) outboxFor(w http.ResponseWriter, r *http.Request, pod string, v reader) error {
	ctx := r.Context()
	q := r.URL.Query()
	before := q.Get("before")
	if before != "" && !validID(before) {
		return fmt.Errorf("%w: before", errBadRequest)
	}
	kids, err := s.cfg.Store.Children(ctx, outboxPath(pod, ""))
	if err != nil && !errors.Is(err, ldp.ErrNotFound) {
		return err
	}
	followers := s.cfg.Paths.Followers(pod)
	var all []outboxEntry
	var cursor *outboxEntry
	for _, k := range kids {
		id := k.Path[strings.LastIndexByte(strings.TrimSuffix(k.Path, "/"), '/')+1:]
		if !validID(id) {
			continue
		}
		a, err := s.readActivity(ctx, pod, id)
		if err != nil || !v.may(followers, a) {
			continue
		}
		e := outboxEntry{id: id, at: entryTime(id, a), a: a}
		all = append(all, e)
		if id == before {
			cursor = &e
		}
	}
	slices.SortFunc(all, newer)
	outbox := s.cfg.Paths.Outbox(pod)
	if q.Get("page") == "" {
		return writeAS2(w, r, http.StatusOK, map[string]any{"@context": asContext, "id": outbox,
			"type": "OrderedCollection", "totalItems": len(all), "first": outbox + "?page=true"})
	}
	if before != "" && cursor == nil {
		// Not one the reader may see (or none): the same answer, so a
		// probe learns nothing of private ids.
		return fmt.Errorf("%w: before", errBadRequest)
	}
	items := []any{}
	next := ""
	for _, e := range all {
		if cursor != nil && newer(*cursor, e) >= 0 {
			continue // not after the cursor
		}
		if len(items) == outboxPageSize {
			next = outbox + "?page=true&before=" + lastID(items)
			break
		}
		// The owner sees what they wrote (bto and bcc too); others never
		// (AS §5.1, AP §6).
		doc := publicView(e.a)
		if v.owner {
			doc = withoutContext(e.a)
		}
		doc["_id"] = e.id
		items = append(items, doc)
	}
	return writeOutboxPage(w, r, outbox, before, next, items)
}

// lastID is the id of the last item of a page (its cursor).
func lastID(items []any) string { return items[len(items)-1].(map[string]any)["_id"].(string) }

// withoutContext is a shallow copy of m without @context (the page has
// one).
func withoutContext(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "@context" {
			out[k] = v
		}
	}
	return out
}
