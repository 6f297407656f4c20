package federation

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Paths of the discovery endpoints, at the root of the base host
// (RFC 8615 well-known URIs are per host, whatever the base URL's path).
const (
	WebFingerPath    = "/.well-known/webfinger"
	HostMetaPath     = "/.well-known/host-meta"
	HostMetaJSONPath = "/.well-known/host-meta.json"
	NodeInfoLinkPath = "/.well-known/nodeinfo"
	NodeInfoPath     = "/nodeinfo/2.1"
)

// WebFinger (RFC 7033) relations and media types.
const (
	MediaJRD       = "application/jrd+json"
	relSelf        = "self"
	relProfilePage = "http://webfinger.net/rel/profile-page"
	maxResource    = 1024 // bytes of the resource parameter
)

type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// ServeWebFinger answers GET /.well-known/webfinger?resource=… (RFC 7033
// §4) for a pod: resource is its handle acct:<pod>@<host[:port]> (the
// user part case-insensitive, as Mastodon looks accounts up), its actor
// IRI or its WebID. The answer names the actor (rel self, AS2) and the
// WebID (profile page). A missing or malformed resource is 400 (§4.2), a
// resource that is not one of our pods 404 (§4.2).
func (s *Service) ServeWebFinger(w http.ResponseWriter, r *http.Request) {
	if err := s.serveWebFinger(w, r); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Service) serveWebFinger(w http.ResponseWriter, r *http.Request) error {
	anyOrigin(w)
	if err := onlyRead(r); err != nil {
		return err
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return fmt.Errorf("%w: malformed query", errBadRequest)
	}
	res := q["resource"]
	if len(res) != 1 {
		return fmt.Errorf("%w: give exactly one resource parameter", errBadRequest)
	}
	pod, err := s.resourcePod(res[0])
	if err != nil {
		return err
	}
	webID, err := s.podWebID(pod)
	if err != nil {
		return err
	}
	p := s.cfg.Paths
	actor := p.Actor(pod)
	doc := jrd{
		Subject: p.Handle(pod),
		Aliases: []string{actor, webID},
		Links: []jrdLink{
			{Rel: relSelf, Type: MediaActivityJSON, Href: actor},
			{Rel: relProfilePage, Href: webID},
		},
	}
	// §4.3: rel parameters select the links returned.
	if rels := q["rel"]; len(rels) > 0 {
		var kept []jrdLink
		for _, l := range doc.Links {
			for _, rel := range rels {
				if l.Rel == rel {
					kept = append(kept, l)
					break
				}
			}
		}
		doc.Links = kept
		if doc.Links == nil {
			doc.Links = []jrdLink{}
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return writeJSON(w, r, MediaJRD, body)
}

// resourcePod returns the pod a WebFinger resource names (existence not
// yet checked); errBadRequest for a malformed one, errNotFound for one
// that cannot be ours.
func (s *Service) resourcePod(res string) (string, error) {
	if res == "" || len(res) > maxResource {
		return "", fmt.Errorf("%w: resource is empty or longer than %d bytes", errBadRequest, maxResource)
	}
	for i := 0; i < len(res); i++ {
		if c := res[i]; c <= ' ' || c >= 0x7f {
			return "", fmt.Errorf("%w: resource is not a URI (RFC 3986 has no such character)", errBadRequest)
		}
	}
	scheme, rest, ok := strings.Cut(res, ":")
	if !validScheme(scheme) {
		if strings.Contains(res, "@") && !strings.ContainsAny(res, "/?#") {
			// "alice@host" without acct: (Mastodon accepts it too).
			return s.acctPod(res)
		}
		ok = false
	}
	if !ok {
		return "", fmt.Errorf("%w: resource is not an absolute URI", errBadRequest)
	}
	switch strings.ToLower(scheme) {
	case "acct":
		return s.acctPod(rest)
	case "http", "https":
		return s.iriPod(res)
	}
	return "", fmt.Errorf("%w: no %s resource here", errNotFound, scheme)
}

// validScheme is RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	if s == "" || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// acctPod parses the part of an acct URI (RFC 7565) after "acct:".
func (s *Service) acctPod(rest string) (string, error) {
	i := strings.LastIndexByte(rest, '@')
	if i <= 0 || i == len(rest)-1 {
		return "", fmt.Errorf("%w: an acct URI is acct:user@host", errBadRequest)
	}
	user, err := url.PathUnescape(rest[:i])
	if err != nil || strings.ContainsAny(rest[:i], ":/?#[]") || strings.Contains(user, "@") {
		return "", fmt.Errorf("%w: malformed user part", errBadRequest)
	}
	host := rest[i+1:]
	if !s.ourHost(host) {
		return "", fmt.Errorf("%w: %s is not this server", errNotFound, host)
	}
	name := strings.ToLower(user)
	if !validPodName(name) {
		return "", fmt.Errorf("%w: no account %s", errNotFound, user)
	}
	return name, nil
}

// ourHost reports whether host (with its port, if any) is the base host;
// an explicit default port (443 for https, 80 for http) is the same host.
func (s *Service) ourHost(host string) bool {
	host = strings.ToLower(host)
	want := s.cfg.Paths.Host()
	if host == want {
		return true
	}
	def := "443"
	if s.cfg.Paths.Scheme() == "http" {
		def = "80"
	}
	h, port, err := net.SplitHostPort(host)
	if err == nil && port == def && !strings.Contains(want, ":") {
		return h == want || "["+h+"]" == want
	}
	h, port, err = net.SplitHostPort(want)
	if err == nil && port == def {
		return host == h || host == "["+h+"]"
	}
	return false
}

// iriPod is the pod whose actor IRI or WebID (or profile document) res is.
func (s *Service) iriPod(res string) (string, error) {
	p := s.cfg.Paths
	if route, ok := p.ParseIRI(res); ok && route.Kind == KindActor && !strings.Contains(res, "#") {
		return route.Pod, nil
	}
	u, err := url.Parse(res)
	if err != nil {
		return "", fmt.Errorf("%w: malformed URI", errBadRequest)
	}
	path, ok := s.cfg.Locator.PathOf(res)
	if !ok {
		return "", fmt.Errorf("%w: %s is not on this server", errNotFound, u.Redacted())
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if webID, ok := s.cfg.Pods.OwnerWebID(name); ok && (res == webID || res == p.Profile(name)) {
		return name, nil
	}
	return "", fmt.Errorf("%w: %s is no pod's WebID or actor", errNotFound, u.Redacted())
}

// anyOrigin lets any page read a discovery document (RFC 7033 §5: "*"),
// unless the server's CORS already echoed the caller's origin.
func anyOrigin(w http.ResponseWriter) {
	if w.Header().Get("Access-Control-Allow-Origin") == "" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
}

// ServeHostMeta answers /.well-known/host-meta (RFC 6415): an XRD whose
// lrdd template is the WebFinger endpoint, as older peers look it up.
func (s *Service) ServeHostMeta(w http.ResponseWriter, r *http.Request) {
	anyOrigin(w)
	if err := onlyRead(r); err != nil {
		s.fail(w, r, err)
		return
	}
	tmpl := xmlAttr(s.webFingerTemplate())
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">` + "\n" +
		`  <Link rel="lrdd" type="application/jrd+json" template="` + tmpl + `"/>` + "\n" +
		`</XRD>`)
	_ = writeJSON(w, r, "application/xrd+xml; charset=utf-8", body)
}

// ServeHostMetaJSON answers /.well-known/host-meta.json (RFC 6415 §3).
func (s *Service) ServeHostMetaJSON(w http.ResponseWriter, r *http.Request) {
	anyOrigin(w)
	if err := onlyRead(r); err != nil {
		s.fail(w, r, err)
		return
	}
	body, _ := json.Marshal(map[string]any{"links": []jrdLink{
		{Rel: "lrdd", Type: MediaJRD, Template: s.webFingerTemplate()}}})
	_ = writeJSON(w, r, "application/json", body) // RFC 6415 Appendix A
}

func (s *Service) webFingerTemplate() string {
	return s.cfg.Paths.Origin() + WebFingerPath + "?resource={uri}"
}

// xmlAttr escapes s for a double-quoted XML attribute.
func xmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
