package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/elnormous/contenttype"
)

// Media types of ActivityStreams 2.0 (AP §3.2): a peer asks for either.
const (
	MediaActivityJSON = "application/activity+json"
	MediaLDJSONAS     = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	asContext         = "https://www.w3.org/ns/activitystreams"
	securityContext   = "https://w3id.org/security/v1"
)

// actorContext is the @context of the actor document: the two standard
// contexts every peer has preloaded (Fedify processes JSON-LD with
// preloaded contexts only, INTEROP "Fedify as a peer"), and the terms
// neither defines inline, as Mastodon does: no other remote context is
// ever named.
var actorContext = []any{asContext, securityContext, map[string]any{
	"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
	"alsoKnownAs":               map[string]string{"@id": "as:alsoKnownAs", "@type": "@id"},
	"toot":                      "http://joinmastodon.org/ns#",
	"discoverable":              "toot:discoverable",
}}

// actorDoc is the actor document (AP §4.1) with the members Mastodon,
// GoToSocial and Fedify read. Every value is computed by the server; the
// only ones that come from the user-writable WebID profile are name,
// summary and icon, sanitised (profile.go).
type actorDoc struct {
	Context                   []any     `json:"@context"`
	ID                        string    `json:"id"`
	Type                      string    `json:"type"`
	PreferredUsername         string    `json:"preferredUsername"`
	Name                      string    `json:"name"`
	Summary                   string    `json:"summary,omitempty"`
	Icon                      *image    `json:"icon,omitempty"`
	URL                       string    `json:"url"`
	AlsoKnownAs               []string  `json:"alsoKnownAs"`
	Inbox                     string    `json:"inbox"`
	Outbox                    string    `json:"outbox"`
	Followers                 string    `json:"followers"`
	Following                 string    `json:"following"`
	Endpoints                 endpoints `json:"endpoints"`
	PublicKey                 publicKey `json:"publicKey"`
	ManuallyApprovesFollowers bool      `json:"manuallyApprovesFollowers"`
	Discoverable              bool      `json:"discoverable"`
	Published                 string    `json:"published,omitempty"`
}

type image struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type endpoints struct {
	SharedInbox string `json:"sharedInbox"`
}

type publicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// actorOffers are the representations of an actor URL, the first one when
// the client states no preference; text/html is for people (a redirect to
// the WebID profile).
var actorOffers = []contenttype.MediaType{
	contenttype.NewMediaType(MediaActivityJSON),
	contenttype.NewMediaType(MediaLDJSONAS),
	contenttype.NewMediaType("application/ld+json"),
	contenttype.NewMediaType("application/json"),
	contenttype.NewMediaType("text/html"),
	contenttype.NewMediaType("application/xhtml+xml"),
}

// negotiateActor returns the media type to answer an Accept header with
// ("text/html" for a browser). An unparsable Accept is ignored (RFC 9110
// §12.5.1).
func negotiateActor(accept string) (string, error) {
	if strings.TrimSpace(accept) == "" {
		return MediaActivityJSON, nil
	}
	mt, _, err := contenttype.GetAcceptableMediaTypeFromHeader(accept, actorOffers)
	switch err {
	case nil:
	case contenttype.ErrNoAcceptableTypeFound:
		return "", fmt.Errorf("%w: an actor is %s or %s", errNotAcceptable, MediaActivityJSON, MediaLDJSONAS)
	default:
		return MediaActivityJSON, nil
	}
	switch mt.MIME() {
	case "application/ld+json":
		return MediaLDJSONAS, nil
	case "text/html", "application/xhtml+xml":
		return "text/html", nil
	}
	return mt.MIME(), nil
}

// ServeActor answers GET and HEAD of an actor IRI (<base>/.ap/actors/<pod>):
// the actor document as AS2, or, for a browser, a redirect to the WebID.
// An unknown pod is 404, a deleted one 410 (Mastodon then deletes its copy).
func (s *Service) ServeActor(w http.ResponseWriter, r *http.Request) {
	if err := s.serveActor(w, r); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Service) serveActor(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Vary", "Accept")
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err := onlyRead(r); err != nil {
		return err
	}
	route, ok := s.cfg.Paths.Parse(r.URL.EscapedPath())
	if !ok || route.Kind != KindActor {
		return fmt.Errorf("%w: no actor at %s", errNotFound, r.URL.Path)
	}
	webID, err := s.podWebID(route.Pod)
	if err != nil {
		return err
	}
	mt, err := negotiateActor(r.Header.Get("Accept"))
	if err != nil {
		return err
	}
	if mt == "text/html" {
		http.Redirect(w, r, webID, http.StatusSeeOther)
		return nil
	}
	doc, err := s.actor(r.Context(), route.Pod, webID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return writeJSON(w, r, mt, body)
}

// podWebID is the WebID of an existing pod, errNotFound for no pod,
// errGone for a deleted one.
func (s *Service) podWebID(pod string) (string, error) {
	webID, ok := s.cfg.Pods.OwnerWebID(pod)
	switch {
	case ok:
		return webID, nil
	case s.cfg.Pods.Retired(pod):
		return "", fmt.Errorf("%w: pod %s was deleted", errGone, pod)
	}
	return "", fmt.Errorf("%w: no pod %s", errNotFound, pod)
}

// actor builds pod's actor document.
func (s *Service) actor(ctx context.Context, pod, webID string) (*actorDoc, error) {
	key, err := s.cfg.Keys.Key(ctx, pod)
	if err != nil {
		return nil, err
	}
	set, err := LoadSettings(ctx, s.cfg.Records, pod)
	if err != nil {
		return nil, err
	}
	pr, err := readProfile(ctx, s.cfg.Store, s.cfg.Locator, s.cfg.Paths.Profile(pod), webID)
	if err != nil {
		return nil, err
	}
	p := s.cfg.Paths
	id := p.Actor(pod)
	doc := &actorDoc{
		Context:           actorContext,
		ID:                id,
		Type:              "Person",
		PreferredUsername: pod,
		Name:              pr.Name,
		Summary:           summaryHTML(pr.Summary),
		URL:               webID,
		AlsoKnownAs:       []string{webID},
		Inbox:             p.Inbox(pod),
		Outbox:            p.Outbox(pod),
		Followers:         p.Followers(pod),
		Following:         p.Following(pod),
		Endpoints:         endpoints{SharedInbox: p.SharedInbox()},
		PublicKey:         publicKey{ID: p.KeyID(pod), Owner: id, PublicKeyPem: key.PublicPEM},

		ManuallyApprovesFollowers: set.Locked,
		Discoverable:              !set.Hidden,
	}
	if doc.Name == "" {
		doc.Name = pod
	}
	if pr.Icon != "" {
		doc.Icon = &image{Type: "Image", URL: pr.Icon}
	}
	if !key.Created.IsZero() {
		doc.Published = key.Created.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	return doc, nil
}

// writeJSON answers a server-generated JSON document (GET and HEAD).
func writeJSON(w http.ResponseWriter, r *http.Request, mt string, body []byte) error {
	body = append(bytes.TrimSpace(body), '\n')
	hd := w.Header()
	hd.Set("Content-Type", mt)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "max-age=60")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}
