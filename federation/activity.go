package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
)

// C2S: what the owner POSTs to the outbox is normalised here, without I/O
// (the lookups it needs are functions the caller passes in), into the
// activity the server stores and delivers (ActivityPub §6). The input is
// read as compacted AS2 JSON, as Mastodon reads it: its @context is not
// processed; the output's @context is exactly the AS2 context.

// Limits of a C2S body.
const (
	MaxOutboxBody  = 256 << 10 // bytes
	maxOutboxDepth = 16        // nesting of JSON objects and arrays
	maxAddressees  = 256       // members of to, cc, bto, bcc and audience together
	maxTags        = 64
)

// PublicIRI is the special public collection (AS2 vocabulary §5.6).
const PublicIRI = "https://www.w3.org/ns/activitystreams#Public"

// errUnprocessable: well-formed JSON the outbox will not act on (an
// unknown type, another actor, an object that is not ours) — 422.
var errUnprocessable = errors.New("unprocessable activity")

// objectMembers are the members of a Note or Article the owner may set;
// anything else a client sends is dropped, so no member the server gives
// meaning to (id, attributedTo, published, replies…) comes from the body.
var objectMembers = []string{"content", "contentMap", "summary", "summaryMap", "name", "nameMap",
	"inReplyTo", "mediaType", "sensitive", "url", "tag"}

// objectTypes are the objects the outbox creates.
var objectTypes = []string{"Note", "Article"}

// activityTypes are the activities the outbox takes.
var activityTypes = []string{"Create", "Update", "Delete", "Follow", "Like", "Announce", "Block", "Undo", "Accept", "Reject"}

// undoable are the activity types an Undo may name.
var undoable = []string{"Follow", "Like", "Announce", "Block"}

// outgoing is what normalising one C2S body needs to know.
type outgoing struct {
	Paths *Paths
	Pod   string
	Now   time.Time
	// NewID returns a fresh id segment (validID).
	NewID func() string
	// Stored returns the stored outbox activity whose id is iri (an
	// Activity IRI of this pod), or whose created object is iri (an
	// Object IRI): the activity, with its object embedded.
	Stored func(iri string) (map[string]any, bool, error)
	// Pending returns the Follow a remote actor is waiting to have
	// accepted or rejected, by the Follow's id or its actor; nil when
	// there is no such thing (tests without relations).
	Pending func(iri string) (map[string]any, bool, error)
}

// normalised is one activity ready to be stored.
type normalised struct {
	ID       string         // the id segment: Activity(pod, ID), stored as <pod>/outbox/<ID>
	Type     string         // the activity type
	Activity map[string]any // with @context, object embedded when it has one
}

// object is the activity's embedded object, or nil.
func (n *normalised) object() map[string]any {
	o, _ := n.Activity["object"].(map[string]any)
	return o
}

// objectIRI is the IRI of the activity's object.
func (n *normalised) objectIRI() string { return idOf(n.Activity["object"]) }

// normaliseOutgoing parses and completes a C2S body (AP §6).
func normaliseOutgoing(body []byte, o outgoing) (*normalised, error) {
	in, err := parseOutgoing(body)
	if err != nil {
		return nil, err
	}
	actor := o.Paths.Actor(o.Pod)
	typ, _ := in["type"].(string)
	if typ == "" {
		return nil, fmt.Errorf("%w: the body has no type", errBadRequest)
	}
	// AP §6.2: a bare object is wrapped in a Create. (bto and bcc are kept
	// in what is stored, for the owner, and never sent or shown.)
	if slices.Contains(objectTypes, typ) {
		in = map[string]any{"type": "Create", "object": in}
		for _, k := range addressing {
			if v, ok := in["object"].(map[string]any)[k]; ok {
				in[k] = v
			}
		}
		typ = "Create"
	}
	if a, ok := in["actor"]; ok && idOf(a) != actor {
		return nil, fmt.Errorf("%w: actor must be %s", errUnprocessable, actor)
	}
	if !slices.Contains(activityTypes, typ) {
		return nil, fmt.Errorf("%w: type %q is not supported by the outbox", errUnprocessable, typ)
	}
	if _, ok := in["object"]; !ok {
		return nil, fmt.Errorf("%w: a %s needs an object", errBadRequest, typ)
	}
	id := o.NewID()
	out := map[string]any{
		"@context":  asContext,
		"id":        o.Paths.Activity(o.Pod, id),
		"type":      typ,
		"actor":     actor,
		"published": o.Now.UTC().Format(time.RFC3339),
	}
	n := &normalised{ID: id, Type: typ, Activity: out}
	switch typ {
	case "Create":
		err = o.create(in, n)
	case "Update":
		err = o.update(in, n)
	case "Delete":
		err = o.delete(in, n)
	case "Follow", "Like", "Announce", "Block":
		err = o.simple(in, n)
	case "Undo":
		err = o.undo(in, n)
	case "Accept", "Reject":
		err = o.answer(in, n)
	default:
		return nil, fmt.Errorf("%w: type %q is not supported by the outbox", errUnprocessable, typ)
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

// parseOutgoing checks size and depth, then decodes one JSON object.
func parseOutgoing(body []byte) (map[string]any, error) {
	if len(body) > MaxOutboxBody {
		return nil, fmt.Errorf("%w: body larger than %d bytes", errBadRequest, MaxOutboxBody)
	}
	if err := checkDepth(body, maxOutboxDepth); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: the body is not a JSON object", errBadRequest)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", errBadRequest)
	}
	return m, nil
}

// checkDepth refuses JSON nested deeper than max before it is decoded.
func checkDepth(body []byte, max int) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	depth := 0
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: malformed JSON", errBadRequest)
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				if depth++; depth > max {
					return fmt.Errorf("%w: JSON nested deeper than %d", errBadRequest, max)
				}
			default:
				depth--
			}
		}
	}
}

// create completes a Create of a new Note or Article.
func (o outgoing) create(in map[string]any, n *normalised) error {
	obj, ok := in["object"].(map[string]any)
	if !ok {
		return fmt.Errorf("%w: a Create needs an embedded object", errUnprocessable)
	}
	typ, _ := obj["type"].(string)
	if !slices.Contains(objectTypes, typ) {
		return fmt.Errorf("%w: the outbox creates only %s", errUnprocessable, strings.Join(objectTypes, " and "))
	}
	actor := n.Activity["actor"].(string)
	if a, ok := obj["attributedTo"]; ok && idOf(a) != actor {
		return fmt.Errorf("%w: attributedTo must be %s", errUnprocessable, actor)
	}
	clean, err := o.objectFields(obj)
	if err != nil {
		return err
	}
	clean["id"] = o.Paths.Object(o.Pod, n.ID)
	clean["type"] = typ
	clean["attributedTo"] = actor
	clean["published"] = n.Activity["published"]
	n.Activity["object"] = clean
	return o.address([]map[string]any{in, obj}, n, clean)
}

// objectFields copies the members an owner may set, checking their shape.
func (o outgoing) objectFields(obj map[string]any) (map[string]any, error) {
	clean := map[string]any{}
	for _, k := range objectMembers {
		if v, ok := obj[k]; ok {
			clean[k] = v
		}
	}
	if v, ok := clean["inReplyTo"]; ok {
		iri := idOf(v)
		if !absoluteIRI(iri) {
			return nil, fmt.Errorf("%w: inReplyTo must be an IRI", errBadRequest)
		}
		clean["inReplyTo"] = iri
	}
	if v, ok := clean["tag"]; ok {
		tags, err := cleanTags(v)
		if err != nil {
			return nil, err
		}
		clean["tag"] = tags
	}
	for _, k := range []string{"content", "summary", "name", "mediaType"} {
		if v, ok := clean[k]; ok {
			if _, isString := v.(string); !isString {
				return nil, fmt.Errorf("%w: %s must be a string", errBadRequest, k)
			}
		}
	}
	return clean, nil
}

// cleanTags keeps Mention (href an actor IRI) and Hashtag tags.
func cleanTags(v any) ([]any, error) {
	list := asList(v)
	if len(list) > maxTags {
		return nil, fmt.Errorf("%w: more than %d tags", errBadRequest, maxTags)
	}
	var out []any
	for _, t := range list {
		m, ok := t.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: a tag must be an object", errBadRequest)
		}
		typ, _ := m["type"].(string)
		href, _ := m["href"].(string)
		name, _ := m["name"].(string)
		switch typ {
		case "Mention":
			if !absoluteIRI(href) {
				return nil, fmt.Errorf("%w: a Mention needs an href IRI", errBadRequest)
			}
			tag := map[string]any{"type": "Mention", "href": href}
			if name != "" {
				tag["name"] = name
			}
			out = append(out, tag)
		case "Hashtag":
			tag := map[string]any{"type": "Hashtag", "name": name}
			if href != "" {
				tag["href"] = href
			}
			out = append(out, tag)
		default:
			return nil, fmt.Errorf("%w: tag type %q", errUnprocessable, typ)
		}
	}
	return out, nil
}

// address merges the addressing of the activity and its object (AP §6.2:
// copied both ways), expands "followers" and "Public", and adds the
// mentioned actors to cc.
func (o outgoing) address(srcs []map[string]any, n *normalised, obj map[string]any) error {
	total := 0
	for _, k := range addressing {
		var merged []string
		for _, src := range srcs {
			if src == nil {
				continue
			}
			for _, v := range asList(src[k]) {
				iri, err := o.addressee(v)
				if err != nil {
					return err
				}
				if !slices.Contains(merged, iri) {
					merged = append(merged, iri)
				}
			}
		}
		if k == "cc" && obj != nil {
			for _, t := range asList(obj["tag"]) {
				if m, ok := t.(map[string]any); ok && m["type"] == "Mention" {
					if h, _ := m["href"].(string); !slices.Contains(merged, h) && !slices.Contains(asStrings(n.Activity["to"]), h) {
						merged = append(merged, h)
					}
				}
			}
		}
		total += len(merged)
		if total > maxAddressees {
			return fmt.Errorf("%w: more than %d addressees", errBadRequest, maxAddressees)
		}
		delete(n.Activity, k)
		if obj != nil {
			delete(obj, k)
		}
		if len(merged) == 0 {
			continue
		}
		n.Activity[k] = toAny(merged)
		if obj != nil {
			obj[k] = toAny(merged)
		}
	}
	return nil
}

// addressee is one member of an addressing list as an IRI: "followers"
// (and the actor's followers IRI) means the followers collection, "Public"
// and "as:Public" the public collection.
func (o outgoing) addressee(v any) (string, error) {
	iri := idOf(v)
	switch iri {
	case "followers":
		return o.Paths.Followers(o.Pod), nil
	case "Public", "as:Public":
		return PublicIRI, nil
	}
	if !absoluteIRI(iri) {
		return "", fmt.Errorf("%w: addressee %q is not an IRI", errBadRequest, iri)
	}
	return iri, nil
}

// ours returns the stored activity that created (or is) iri, which must
// name an object or activity of this pod.
func (o outgoing) ours(iri string, kind Kind) (map[string]any, error) {
	r, ok := o.Paths.ParseIRI(iri)
	if !ok || r.Pod != o.Pod || r.Kind != kind {
		return nil, fmt.Errorf("%w: %q is not an %s of this actor", errUnprocessable, iri, kind)
	}
	st, found, err := o.Stored(iri)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %q is not in the outbox", errUnprocessable, iri)
	}
	return st, nil
}

// storedObject is the object a stored Create made, refusing one already
// deleted.
func storedObject(st map[string]any) (map[string]any, error) {
	obj, ok := st["object"].(map[string]any)
	if !ok || st["type"] != "Create" {
		return nil, fmt.Errorf("%w: not an object the outbox created", errUnprocessable)
	}
	return obj, nil
}

// update completes an Update of one of the owner's objects: the members
// given replace the stored ones; published stays, updated is now.
func (o outgoing) update(in map[string]any, n *normalised) error {
	obj, ok := in["object"].(map[string]any)
	if !ok {
		return fmt.Errorf("%w: an Update needs the embedded object", errUnprocessable)
	}
	st, err := o.ours(idOf(obj), KindObject)
	if err != nil {
		return err
	}
	old, err := storedObject(st)
	if err != nil {
		return err
	}
	if old["type"] == "Tombstone" {
		return fmt.Errorf("%w: the object was deleted", errUnprocessable)
	}
	if t, ok := obj["type"]; ok && t != old["type"] {
		return fmt.Errorf("%w: an Update cannot change the object's type", errUnprocessable)
	}
	clean, err := o.objectFields(obj)
	if err != nil {
		return err
	}
	merged := map[string]any{}
	for k, v := range old {
		merged[k] = v
	}
	for k, v := range clean {
		merged[k] = v
	}
	merged["updated"] = n.Activity["published"]
	n.Activity["object"] = merged
	// Addressing: what the update names, or else the original's.
	srcs := []map[string]any{in, obj}
	if !hasAddressing(in) && !hasAddressing(obj) {
		srcs = []map[string]any{old}
	}
	return o.address(srcs, n, merged)
}

// delete turns one of the owner's objects into a Tombstone (AP §6.4).
func (o outgoing) delete(in map[string]any, n *normalised) error {
	iri := idOf(in["object"])
	st, err := o.ours(iri, KindObject)
	if err != nil {
		return err
	}
	old, err := storedObject(st)
	if err != nil {
		return err
	}
	if old["type"] == "Tombstone" {
		return fmt.Errorf("%w: the object was already deleted", errUnprocessable)
	}
	n.Activity["object"] = map[string]any{
		"id": iri, "type": "Tombstone", "formerType": old["type"],
		"published": old["published"], "deleted": n.Activity["published"],
	}
	src := map[string]any{}
	for _, k := range addressing {
		if v, ok := old[k]; ok {
			src[k] = v
		}
	}
	return o.address([]map[string]any{src}, n, nil)
}

// simple completes a Follow, Like, Announce or Block: the object is an IRI
// (an embedded object is kept by its id).
func (o outgoing) simple(in map[string]any, n *normalised) error {
	iri := idOf(in["object"])
	if !absoluteIRI(iri) {
		return fmt.Errorf("%w: the object of a %s must be an IRI", errBadRequest, n.Type)
	}
	if (n.Type == "Follow" || n.Type == "Block") && iri == n.Activity["actor"] {
		return fmt.Errorf("%w: an actor cannot %s itself", errUnprocessable, strings.ToLower(n.Type))
	}
	n.Activity["object"] = iri
	if !hasAddressing(in) {
		switch n.Type {
		case "Follow", "Block", "Like":
			in = map[string]any{"to": []any{iri}}
		case "Announce":
			in = map[string]any{"to": []any{PublicIRI}, "cc": []any{o.Paths.Followers(o.Pod)}}
		}
	}
	return o.address([]map[string]any{in}, n, nil)
}

// undo completes an Undo that names one of the owner's Follow, Like,
// Announce or Block activities by id: the stored activity is embedded
// (peers such as Mastodon need the Follow, not its id).
func (o outgoing) undo(in map[string]any, n *normalised) error {
	iri := idOf(in["object"])
	st, err := o.ours(iri, KindActivity)
	if err != nil {
		return err
	}
	typ, _ := st["type"].(string)
	if !slices.Contains(undoable, typ) {
		return fmt.Errorf("%w: an Undo of a %s is not supported", errUnprocessable, typ)
	}
	embedded := map[string]any{}
	for k, v := range st {
		if k != "@context" && k != "bto" && k != "bcc" {
			embedded[k] = v
		}
	}
	n.Activity["object"] = embedded
	src := map[string]any{}
	for _, k := range []string{"to", "cc", "audience"} {
		if v, ok := st[k]; ok {
			src[k] = v
		}
	}
	return o.address([]map[string]any{src}, n, nil)
}

// answer completes an Accept or Reject of a Follow that waits for the
// owner (a locked account): the Follow is embedded, addressed to its
// actor.
func (o outgoing) answer(in map[string]any, n *normalised) error {
	iri := idOf(in["object"])
	if m, ok := in["object"].(map[string]any); ok && iri == "" {
		iri = idOf(m["actor"])
	}
	if iri == "" || o.Pending == nil {
		return fmt.Errorf("%w: no follow request waits for %q", errUnprocessable, iri)
	}
	follow, found, err := o.Pending(iri)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: no follow request waits for %q", errUnprocessable, iri)
	}
	follower := idOf(follow["actor"])
	n.Activity["object"] = follow
	return o.address([]map[string]any{{"to": []any{follower}}}, n, nil)
}

// asList is a JSON-LD value as a list (a single value is a list of one).
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// asStrings is the IRIs of a value.
func asStrings(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s := idOf(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func hasAddressing(m map[string]any) bool {
	for _, k := range addressing {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// absoluteIRI reports an absolute http(s) IRI without user info.
func absoluteIRI(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
