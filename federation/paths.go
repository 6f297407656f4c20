package federation

import (
	"fmt"
	"net/url"
	"strings"
)

// The URL layout of ActivityPub (issue 14). Every URL the federation code
// publishes or recognises is computed here and nowhere else:
//
//	actor        <base>/.ap/actors/<pod>            (on the base host, also for subdomain pods)
//	key id       <actor>#main-key
//	outbox       <actor>/outbox
//	followers    <actor>/followers
//	following    <actor>/following
//	object       <actor>/objects/<id>               (server-generated)
//	activity     <actor>/activities/<id>            (server-generated)
//	inbox        <pod root>inbox/                   (the pod's LDN inbox)
//	shared inbox <base>/.ap/inbox
//	handle       acct:<pod>@<base host[:port]>
//
// The root segment /.ap is reserved by ldp.Locator (every first segment
// starting with "."), so no user resource can shadow these URLs. The
// actor is not the WebID (<pod root>profile/card#me): Mastodon requires
// the fetched id to equal the URL with its fragment, which a fragment
// IRI cannot satisfy, and the profile is user-writable. The WebID
// profile and the actor link to each other instead.
const (
	apRoot         = "/.ap"
	actorsSegment  = apRoot + "/actors/"
	sharedInboxSeg = apRoot + "/inbox"
	instanceSeg    = apRoot + "/instance"
	keyFragment    = "#main-key"
	maxIDLen       = 128
	maxPodNameLen  = 63
)

// Kind is what a federation URL names.
type Kind int

// The kinds of federation URLs Parse recognises.
const (
	KindActor Kind = iota + 1
	KindOutbox
	KindFollowers
	KindFollowing
	KindObject
	KindActivity
	KindSharedInbox
	KindInstance
)

func (k Kind) String() string {
	switch k {
	case KindActor:
		return "actor"
	case KindOutbox:
		return "outbox"
	case KindFollowers:
		return "followers"
	case KindFollowing:
		return "following"
	case KindObject:
		return "object"
	case KindActivity:
		return "activity"
	case KindSharedInbox:
		return "shared inbox"
	case KindInstance:
		return "instance actor"
	}
	return "unknown"
}

// Route is a parsed federation URL: its kind, the pod it belongs to (empty
// for the shared inbox) and, for an object or activity, its id segment.
type Route struct {
	Kind Kind
	Pod  string
	ID   string
}

// Paths computes and parses the federation URLs of one server.
type Paths struct {
	scheme  string // "https"
	host    string // base host[:port], lower case
	origin  string // scheme://host
	prefix  string // base URL path without trailing slash ("" at the root)
	podRoot func(name string) string
}

// NewPaths returns the URL set of a server whose public base URL is
// baseURL. podRoot gives the IRI of a pod's root container, ending in "/"
// (in the server, ldp.Locator.IRI("/"+name+"/"), which knows subdomain
// pods); it must answer from memory.
func NewPaths(baseURL string, podRoot func(name string) string) (*Paths, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		return nil, fmt.Errorf("federation: base URL %q must be an absolute http(s) URL without query or fragment", baseURL)
	}
	if podRoot == nil {
		return nil, fmt.Errorf("federation: NewPaths needs a podRoot function")
	}
	host := strings.ToLower(u.Host)
	return &Paths{
		scheme:  u.Scheme,
		host:    host,
		origin:  u.Scheme + "://" + host,
		prefix:  strings.TrimSuffix(u.EscapedPath(), "/"),
		podRoot: podRoot,
	}, nil
}

// Host is the base host with its port when one is given (the domain part
// of every handle).
func (p *Paths) Host() string { return p.host }

// Scheme is the base URL's scheme.
func (p *Paths) Scheme() string { return p.scheme }

// Origin is scheme://host of the base URL.
func (p *Paths) Origin() string { return p.origin }

// Base is the base URL without its trailing slash.
func (p *Paths) Base() string { return p.origin + p.prefix }

// Mount is the request path under which every federation URL of the base
// URL lies ("/.ap", after the base URL's own path if it has one): where a
// router mounts them.
func (p *Paths) Mount() string { return p.prefix + apRoot }

// Actor is the actor IRI of pod.
func (p *Paths) Actor(pod string) string { return p.Base() + actorsSegment + pod }

// KeyID is the id of pod's public key (the actor's publicKey.id).
func (p *Paths) KeyID(pod string) string { return p.Actor(pod) + keyFragment }

// Outbox is pod's outbox.
func (p *Paths) Outbox(pod string) string { return p.Actor(pod) + "/outbox" }

// Followers is pod's followers collection.
func (p *Paths) Followers(pod string) string { return p.Actor(pod) + "/followers" }

// Following is pod's following collection.
func (p *Paths) Following(pod string) string { return p.Actor(pod) + "/following" }

// Object is the IRI of a server-generated object of pod.
func (p *Paths) Object(pod, id string) string { return p.Actor(pod) + "/objects/" + id }

// Activity is the IRI of a server-generated activity of pod.
func (p *Paths) Activity(pod, id string) string { return p.Actor(pod) + "/activities/" + id }

// PodRoot is the IRI of pod's root container (ends in "/").
func (p *Paths) PodRoot(pod string) string { return p.podRoot(pod) }

// Inbox is pod's inbox: its LDN inbox container <pod root>inbox/.
func (p *Paths) Inbox(pod string) string { return p.podRoot(pod) + "inbox/" }

// WebID is the WebID a pod is created with (<pod root>profile/card#me).
// The pod registry's record is the authority on a pod's owner; this is
// the IRI the server links the actor to.
func (p *Paths) WebID(pod string) string { return p.podRoot(pod) + "profile/card#me" }

// Profile is the WebID profile document of pod (WebID without fragment).
func (p *Paths) Profile(pod string) string { return p.podRoot(pod) + "profile/card" }

// InstanceActor is the server's own actor, which signs the server's
// fetches (instance.go).
func (p *Paths) InstanceActor() string { return p.Base() + instanceSeg }

// InstanceKeyID is the id of the instance actor's public key.
func (p *Paths) InstanceKeyID() string { return p.InstanceActor() + keyFragment }

// SharedInbox is the server's shared inbox.
func (p *Paths) SharedInbox() string { return p.Base() + sharedInboxSeg }

// Handle is pod's WebFinger account, "acct:<pod>@<host[:port]>".
func (p *Paths) Handle(pod string) string { return "acct:" + pod + "@" + p.host }

// Parse recognises the escaped path of a request to the base host (with
// the base URL's path, if any) as a federation URL. It checks shape only:
// whether the pod exists is for the caller to ask.
func (p *Paths) Parse(escapedPath string) (Route, bool) {
	rest, ok := strings.CutPrefix(escapedPath, p.prefix)
	if !ok {
		return Route{}, false
	}
	if rest == sharedInboxSeg {
		return Route{Kind: KindSharedInbox}, true
	}
	if rest == instanceSeg {
		return Route{Kind: KindInstance}, true
	}
	rest, ok = strings.CutPrefix(rest, actorsSegment)
	if !ok {
		return Route{}, false
	}
	segs := strings.Split(rest, "/")
	if !validPodName(segs[0]) {
		return Route{}, false
	}
	r := Route{Pod: segs[0]}
	switch {
	case len(segs) == 1:
		r.Kind = KindActor
	case len(segs) == 2 && segs[1] == "outbox":
		r.Kind = KindOutbox
	case len(segs) == 2 && segs[1] == "followers":
		r.Kind = KindFollowers
	case len(segs) == 2 && segs[1] == "following":
		r.Kind = KindFollowing
	case len(segs) == 3 && segs[1] == "objects" && validID(segs[2]):
		r.Kind, r.ID = KindObject, segs[2]
	case len(segs) == 3 && segs[1] == "activities" && validID(segs[2]):
		r.Kind, r.ID = KindActivity, segs[2]
	default:
		return Route{}, false
	}
	return r, true
}

// ParseIRI is Parse for an absolute IRI: it must be on this server's base
// origin (scheme and host, case-insensitive host); query and fragment are
// ignored, so a key id parses as its actor.
func (p *Paths) ParseIRI(iri string) (Route, bool) {
	u, err := url.Parse(iri)
	if err != nil || u.Scheme != p.scheme || strings.ToLower(u.Host) != p.host || u.User != nil {
		return Route{}, false
	}
	return p.Parse(u.EscapedPath())
}

// validPodName is the shape of a pod name (idp/pod.ValidName's syntax,
// without its reserved list, which only matters when creating a pod):
// 1 to 63 lowercase ASCII letters, digits and '-'.
func validPodName(s string) bool {
	if len(s) == 0 || len(s) > maxPodNameLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validID is the shape of a server-generated id segment: 1 to 128 ASCII
// letters, digits, '-' and '_' (nothing that needs escaping).
func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
