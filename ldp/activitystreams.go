package ldp

import (
	"fmt"
	"mime"
	"strings"
)

// SECURITY row 62: user-written resources are never stored or served with an
// ActivityStreams 2.0 media type (issue 14; the Mastodon CVE-2024-25623
// class): a peer that fetches an IRI of this origin and gets
// application/activity+json would take a user's file for an actor or an
// activity of this server. Only the federation package, which generates
// its documents itself, answers with those types.

// mediaJSON is what a resource stored with an AS2 type (before this rule,
// or written around the HTTP layer) is served as.
const mediaJSON = "application/json"

// isActivityStreams reports whether a media type (already split by
// mime.ParseMediaType: lower-case type, lower-case parameter names) is an
// ActivityStreams type: application/activity+json, or application/ld+json
// whose profile names the AS2 namespace (AP §3.2), in either scheme.
func isActivityStreams(mt string, params map[string]string) bool {
	switch mt {
	case "application/activity+json":
		return true
	case "application/ld+json":
		for _, p := range strings.Fields(params["profile"]) {
			p = strings.TrimSuffix(strings.ToLower(p), "/")
			if p == "https://www.w3.org/ns/activitystreams" || p == "http://www.w3.org/ns/activitystreams" {
				return true
			}
		}
	}
	return false
}

// refuseActivityStreams is readBody's check: 415 for an AS2 type.
func refuseActivityStreams(mt string, params map[string]string) error {
	if isActivityStreams(mt, params) {
		return fmt.Errorf("%w: %s: ActivityStreams documents are the server's own; store this as application/json or JSON-LD", errUnsupportedType, mt)
	}
	return nil
}

// servedType is the media type a stored non-RDF resource is served with:
// its stored type, except that an AS2 type, or one that does not parse
// but mentions activity streams, becomes application/json.
func servedType(stored string) string {
	mt, params, err := mime.ParseMediaType(stored)
	if err != nil {
		l := strings.ToLower(stored)
		if strings.Contains(l, "activity") || strings.Contains(l, "activitystreams") {
			return mediaJSON
		}
		return stored
	}
	if isActivityStreams(mt, params) {
		return mediaJSON
	}
	return stored
}
