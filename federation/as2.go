package federation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Reading AS2 input. Activities are read as plain JSON in the compacted
// form every peer sends (as Mastodon reads them): the @context is never
// fetched or expanded, and members this package does not know (Linked
// Data signatures, extensions) are kept as received and otherwise
// ignored.

// Limits on an incoming activity, checked before any other work
// (SECURITY row 42 of issue 14).
const (
	// MaxActivityBytes bounds a POSTed activity (413 beyond).
	MaxActivityBytes = 1 << 20
	// MaxJSONDepth bounds the nesting of arrays and objects (400 beyond).
	// Real activities nest a few levels (Create → Note → tag → icon).
	MaxJSONDepth = 32
	// MaxRecipients bounds the addressing of one activity: the entries of
	// to, cc, bto, bcc and audience together, of the activity and of its
	// embedded object (400 beyond).
	MaxRecipients = 1000
)

// jsonDepth is the deepest nesting of arrays and objects in b, a JSON
// text, found without decoding it; it stops counting once past limit.
func jsonDepth(b []byte, limit int) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				max = depth
				if max > limit {
					return max
				}
			}
		case '}', ']':
			depth--
		}
	}
	return max
}

// asActivity is an incoming activity: the decoded object and the members
// the inbox acts on.
type asActivity struct {
	Raw    map[string]any
	ID     string
	Type   string
	Actor  string
	Object any // an IRI (string), an embedded object (map), or nil
}

// parseActivity decodes body, already bounded in size, as one activity
// after the depth check, and checks the members every activity needs.
func parseActivity(body []byte) (*asActivity, error) {
	if d := jsonDepth(body, MaxJSONDepth); d > MaxJSONDepth {
		return nil, fmt.Errorf("%w: JSON nested %d deep (limit %d)", errBadRequest, d, MaxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", errBadRequest)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", errBadRequest)
	}
	if n := recipients(m); n > MaxRecipients {
		return nil, fmt.Errorf("%w: %d recipients (limit %d)", errBadRequest, n, MaxRecipients)
	}
	a := &asActivity{Raw: m, ID: str(m["id"]), Type: typeOf(m), Actor: idOf(m["actor"]), Object: first(m["object"])}
	switch {
	case a.Type == "":
		return nil, fmt.Errorf("%w: activity without a type", errBadRequest)
	case !httpIRI(a.ID):
		return nil, fmt.Errorf("%w: activity id must be an http(s) IRI", errBadRequest)
	case !httpIRI(a.Actor):
		return nil, fmt.Errorf("%w: activity actor must be an http(s) IRI", errBadRequest)
	}
	return a, nil
}

// addressing members (AS2 §5.1).
var addressing = []string{"to", "cc", "bto", "bcc", "audience"}

// recipients counts the addressing entries of m and of its embedded
// object.
func recipients(m map[string]any) int {
	n := 0
	count := func(o map[string]any) {
		for _, k := range addressing {
			switch v := o[k].(type) {
			case []any:
				n += len(v)
			case nil:
			default:
				n++
			}
		}
	}
	count(m)
	if o, ok := first(m["object"]).(map[string]any); ok {
		count(o)
	}
	return n
}

// addressed lists the IRIs m is addressed to (its own addressing and its
// embedded object's).
func addressed(m map[string]any) []string {
	var out []string
	add := func(o map[string]any) {
		for _, k := range addressing {
			switch v := o[k].(type) {
			case []any:
				for _, e := range v {
					if s := idOf(e); s != "" {
						out = append(out, s)
					}
				}
			default:
				if s := idOf(v); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	add(m)
	if o, ok := first(m["object"]).(map[string]any); ok {
		add(o)
	}
	return out
}

// first is v, or the first element of v when it is an array (a
// functional property sent as a one-element array).
func first(v any) any {
	if l, ok := v.([]any); ok {
		if len(l) == 0 {
			return nil
		}
		return l[0]
	}
	return v
}

// str is v when it is a string.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// idOf is the IRI v names: v itself when a string, its "id" when an
// embedded object (a Link's "href" when it has no id).
func idOf(v any) string {
	switch x := first(v).(type) {
	case string:
		return x
	case map[string]any:
		if id := str(x["id"]); id != "" {
			return id
		}
		return str(x["href"])
	}
	return ""
}

// typeOf is the (first) type of an object.
func typeOf(v any) string {
	m, ok := first(v).(map[string]any)
	if !ok {
		return ""
	}
	return str(first(m["type"]))
}

// httpIRI reports an absolute http(s) IRI with a host.
func httpIRI(s string) bool {
	_, ok := originOf(s)
	return ok
}

// originOf is the origin (scheme://host[:port], lower case) of an
// absolute http(s) IRI.
func originOf(s string) (string, bool) {
	if s == "" || len(s) > MaxActorIRI {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}

// sameOrigin reports whether two IRIs have one origin.
func sameOrigin(a, b string) bool {
	oa, ok1 := originOf(a)
	ob, ok2 := originOf(b)
	return ok1 && ok2 && oa == ob
}
