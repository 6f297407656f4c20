package federation

import "strings"

// ProfileLinks gives the Link header value that leads from a pod's WebID
// profile document to its actor (ldp.Config.ResourceLinks): rel
// "alternate" with the AS2 type, the way Mastodon's own profile pages
// name their actor, so a Solid app or a Fediverse server holding the WebID
// finds the actor with one HEAD. Any other resource gets "". It answers
// from memory (the pod registry), as ResourceLinks must.
func (s *Service) ProfileLinks(iri string) string {
	if !strings.HasSuffix(iri, "/profile/card") {
		return "" // most resources: no URL parsing on every response
	}
	p, ok := s.cfg.Locator.PathOf(iri)
	if !ok {
		return ""
	}
	name, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if rest != "profile/card" || !validPodName(name) || iri != s.cfg.Paths.Profile(name) {
		return ""
	}
	if _, ok := s.cfg.Pods.OwnerWebID(name); !ok {
		return ""
	}
	return `<` + s.cfg.Paths.Actor(name) + `>; rel="alternate"; type="` + MediaActivityJSON + `"`
}
