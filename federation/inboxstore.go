package federation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// Received activities are kept in the pod, in its inbox container
// (<pod root>inbox/), one resource each, named by a hash of the activity
// id (so a redelivery replaces, never duplicates), written by the server
// (Origin OriginFederation) as application/ld+json: the activity as the
// peer sent it, with its id, type, actor and object. The inbox's ACL (made
// with the pod) gives Read to the owner only; the public has no access and
// authenticated agents may only Append (Linked Data Notifications).
//
// The inbox keeps an index beside the relations in kv.Federation:
//
//	ia/<pod>/<h>              a stored activity (JSON inboxRecord); <h> is
//	                          the resource name, hex of the activity id's
//	                          SHA-256 (first 32 digits)
//	it/<pod>/<t><h>           the order of arrival, newest first: <t> is 16
//	                          hex digits of (MaxInt64 − arrival UnixNano)
//	io/<pod>/<o>/<h>          the stored activity <h> holds the object whose
//	                          id hashes to <o> (an Update or Delete of that
//	                          object changes the copy in <h>)
//
// Only resources named in this index are listed as activities: anything
// else in the inbox container (an LDN notification, a file an authorized
// app wrote) is never served as ActivityStreams.

// OriginFederation is the change-log origin of the federation's writes.
const OriginFederation = "naamio:federation"

const (
	prefInboxAct   = "ia/"
	prefInboxTime  = "it/"
	prefInboxObj   = "io/"
	inboxMediaType = "application/ld+json"
)

// inboxRecord is what the index knows of one stored activity.
type inboxRecord struct {
	Path   string `json:"path"`
	Order  string `json:"order"` // its it/ key
	ID     string `json:"id"`
	Type   string `json:"type"`
	Actor  string `json:"actor"`
	Object string `json:"object,omitempty"` // the object's id
	// ObjActor is who the object belongs to: its attributedTo, else the
	// actor that created it.
	ObjActor string `json:"objActor,omitempty"`
	Undone   bool   `json:"undone,omitempty"`
}

func hashName(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:16])
}

// inboxPath is the store path of pod's inbox container.
func (s *Service) inboxPath(pod string) (string, error) {
	p, ok := s.cfg.Locator.PathOf(s.cfg.Paths.Inbox(pod))
	if !ok {
		return "", fmt.Errorf("federation: no store path for the inbox of %s", pod)
	}
	return p, nil
}

// record returns the index record of the activity id in pod's inbox.
func (s *Service) record(ctx context.Context, pod, id string) (inboxRecord, bool, error) {
	var rec inboxRecord
	b, err := s.cfg.Records.Get(ctx, prefInboxAct+pod+"/"+hashName(id))
	if errors.Is(err, kv.ErrNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	return rec, true, json.Unmarshal(b, &rec)
}

// holders are the stored activities of pod that hold a copy of the
// object objID.
func (s *Service) holders(ctx context.Context, pod, objID string) ([]inboxRecord, error) {
	var hs []string
	err := s.cfg.Records.List(ctx, prefInboxObj+pod+"/"+hashName(objID)+"/", func(key string, _ []byte) error {
		hs = append(hs, key[strings.LastIndexByte(key, '/')+1:])
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []inboxRecord
	for _, h := range hs {
		b, err := s.cfg.Records.Get(ctx, prefInboxAct+pod+"/"+h)
		if errors.Is(err, kv.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var rec inboxRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// storeActivity writes the activity a (its Raw form) into pod's inbox and
// indexes it. A redelivery replaces the stored copy and keeps its place.
func (s *Service) storeActivity(ctx context.Context, pod string, a *asActivity) error {
	dir, err := s.inboxPath(pod)
	if err != nil {
		return err
	}
	h := hashName(a.ID)
	rec := inboxRecord{Path: dir + h, ID: a.ID, Type: a.Type, Actor: a.Actor,
		Order: fmt.Sprintf("%s%s/%016x%s", prefInboxTime, pod, uint64(math.MaxInt64-s.now().UnixNano()), h)}
	if obj, ok := a.Object.(map[string]any); ok && a.Type != "Undo" {
		rec.Object = idOf(obj)
		rec.ObjActor = idOf(obj["attributedTo"])
		if rec.ObjActor == "" && a.Type == "Create" {
			rec.ObjActor = a.Actor
		}
	}
	if err := s.putJSON(ctx, rec.Path, a.Raw); err != nil {
		return err
	}
	return s.index(ctx, pod, h, rec, true)
}

// index records rec, the stored activity <h> of pod. When keep is set
// and the activity was stored before (a redelivery), it keeps its place
// in the order of arrival.
func (s *Service) index(ctx context.Context, pod, h string, rec inboxRecord, keep bool) error {
	key := prefInboxAct + pod + "/" + h
	return s.indexes.do(ctx, func(tx kv.Txn) error {
		r := rec
		if keep {
			old, err := tx.Get(key)
			switch {
			case err == nil:
				var o inboxRecord
				if json.Unmarshal(old, &o) == nil && o.Order != "" {
					r.Order, r.Undone = o.Order, o.Undone
				}
			case !errors.Is(err, kv.ErrNotFound):
				return err
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := tx.Set(key, b, 0); err != nil {
			return err
		}
		if err := tx.Set(r.Order, []byte(h), 0); err != nil {
			return err
		}
		if r.Object != "" {
			return tx.Set(prefInboxObj+pod+"/"+hashName(r.Object)+"/"+h, nil, 0)
		}
		return nil
	})
}

// putJSON writes doc at path as the server.
func (s *Service) putJSON(ctx context.Context, path string, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, _, err = s.cfg.Store.Put(ctx, ldp.PutRequest{Path: path, ContentType: inboxMediaType,
		Body: bytes.NewReader(b), SizeHint: int64(len(b)), Origin: OriginFederation})
	return err
}

// readJSON reads the stored activity at path.
func (s *Service) readJSON(ctx context.Context, path string) (map[string]any, error) {
	_, rc, err := s.cfg.Store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4*MaxActivityBytes))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("federation: stored activity %s: %w", path, err)
	}
	return m, nil
}

// replaceObject puts obj in place of the object of every stored activity
// of pod holding a copy of obj's id (an Update: the edited object; a
// Delete: a Tombstone).
func (s *Service) replaceObject(ctx context.Context, pod string, holders []inboxRecord, obj map[string]any) error {
	for _, rec := range holders {
		doc, err := s.readJSON(ctx, rec.Path)
		if errors.Is(err, ldp.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		doc["object"] = obj
		if err := s.putJSON(ctx, rec.Path, doc); err != nil {
			return err
		}
	}
	return nil
}

// markUndone marks the stored activity rec as undone by the Undo undo
// (a Like or Announce taken back): the copy stays, with "undoneBy".
func (s *Service) markUndone(ctx context.Context, pod string, rec inboxRecord, undo string) error {
	doc, err := s.readJSON(ctx, rec.Path)
	if errors.Is(err, ldp.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	doc[undoneMember] = undo
	if err := s.putJSON(ctx, rec.Path, doc); err != nil {
		return err
	}
	rec.Undone = true
	return s.index(ctx, pod, rec.Path[strings.LastIndexByte(rec.Path, '/')+1:], rec, false)
}

// undoneMember marks a stored activity its actor took back with an Undo
// (a full IRI, so a JSON-LD reader keeps it).
const undoneMember = "https://naamio.dev/ns#undoneBy"

// tombstone is what a deleted object's stored copies become.
func tombstone(id, formerType string, now time.Time) map[string]any {
	t := map[string]any{"id": id, "type": "Tombstone", "deleted": now.UTC().Format(time.RFC3339)}
	if formerType != "" && formerType != "Tombstone" {
		t["formerType"] = formerType
	}
	return t
}

// inboxPage lists up to n stored activities of pod, newest first,
// skipping the first skip; and the total.
func (s *Service) inboxPage(ctx context.Context, pod string, skip, n int) ([]inboxRecord, int, error) {
	var hs []string
	total := 0
	err := s.cfg.Records.List(ctx, prefInboxTime+pod+"/", func(_ string, v []byte) error {
		if total >= skip && len(hs) < n {
			hs = append(hs, string(v))
		}
		total++
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]inboxRecord, 0, len(hs))
	for _, h := range hs {
		b, err := s.cfg.Records.Get(ctx, prefInboxAct+pod+"/"+h)
		if errors.Is(err, kv.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		var rec inboxRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, 0, err
		}
		out = append(out, rec)
	}
	return out, total, nil
}
