package ui

import (
	"net/url"
	"strings"
)

// SharePath is the sharing page (web/share): /.web/share?resource=<url>
// shows and edits who may do what on a resource. Pages that show a
// resource link to it when the person has Control of it.
const SharePath = "/.web/share"

// ShareURL is the sharing page of resource on the server at baseURL
// (with or without its trailing slash). It is always on the base host:
// the page session lives there, also for a pod on its own host.
func ShareURL(baseURL, resource string) string {
	return strings.TrimSuffix(baseURL, "/") + SharePath + "?resource=" + url.QueryEscape(resource)
}
