package share

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/naamio/naamio/auth"
)

// Handle resolution: @name@host to a WebID.
const (
	maxHandle = 320
	// relWebID is the WebFinger link of a WebID (Solid WebID profile
	// discovery); relProfile is the profile page link, which this server
	// (federation/webfinger.go) and other Solid servers point at the
	// WebID; relSelf is the ActivityPub actor, the identity of an account
	// of a server that has no WebIDs.
	relWebID   = "http://www.w3.org/ns/solid/terms#webid"
	relProfile = "http://webfinger.net/rel/profile-page"
	relSelf    = "self"
)

var handleRe = regexp.MustCompile(`^@?([A-Za-z0-9_.~-]{1,64})@([A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?)$`)

var (
	errBadHandle = errors.New("not a handle of the form @name@server")
	errNoPerson  = errors.New("no such account")
	errNoWebID   = errors.New("that server names no WebID or actor for the account")
	errLookup    = errors.New("the server of that handle did not answer usefully")
)

// Resolve returns the WebID (or, for a Fediverse server without WebIDs,
// the ActivityPub actor) of handle @name@host: a pod of this server
// directly, another server through WebFinger (RFC 7033) fetched by the
// server's SSRF-safe client.
func (h *Handler) Resolve(ctx context.Context, handle string) (string, error) {
	if len(handle) > maxHandle {
		return "", errBadHandle
	}
	m := handleRe.FindStringSubmatch(handle)
	if m == nil {
		return "", errBadHandle
	}
	name, host := m[1], strings.ToLower(m[2])
	if host == strings.ToLower(h.base.Host) {
		if h.opts.Pod == nil {
			return "", errNoPerson
		}
		if _, webID, ok := h.opts.Pod(strings.ToLower(name)); ok {
			return webID, nil
		}
		return "", errNoPerson
	}
	if h.opts.WebFinger == nil {
		return "", errLookup
	}
	q := url.Values{"resource": {"acct:" + name + "@" + host}}
	status, body, err := h.opts.WebFinger(ctx, "https://"+host+"/.well-known/webfinger?"+q.Encode())
	switch {
	case err != nil:
		return "", errLookup
	case status == http.StatusNotFound || status == http.StatusGone:
		return "", errNoPerson
	case status != http.StatusOK:
		return "", errLookup
	}
	return webIDOf(body)
}

// webIDOf picks the WebID from a JRD: the solid:webid link, else the
// profile page, else the AS2 actor; each must be an absolute http(s) URL.
func webIDOf(body []byte) (string, error) {
	var doc struct {
		Links []struct {
			Rel  string `json:"rel"`
			Type string `json:"type"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", errLookup
	}
	for _, rel := range []string{relWebID, relProfile, relSelf} {
		for _, l := range doc.Links {
			if l.Rel != rel || !webURL(l.Href) {
				continue
			}
			if rel == relSelf && !strings.Contains(l.Type, "activity+json") && !strings.Contains(l.Type, "ld+json") {
				continue
			}
			return l.Href, nil
		}
	}
	return "", errNoWebID
}

// webURL: an absolute http(s) URL without user info, at most 2 KiB.
func webURL(s string) bool {
	if len(s) > maxResourceURL {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// ServeResolve serves GET /.web/api/resolve-handle?handle=@name@host for a
// page script: authenticated like the Solid API (a DPoP-bound token; the
// server's auth middleware put the agent in the context), never by the
// page cookie. It answers {"webid": …} or {"error": …}.
func (h *Handler) ServeResolve(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	ag, err := auth.AgentFrom(r.Context())
	if err != nil || ag.WebID == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "log in first (a DPoP-bound access token)"})
		return
	}
	// Only the people of this server's pods use the pages: an agent from
	// elsewhere cannot make this server look up other servers.
	if u, err := url.Parse(ag.WebID); err != nil || !h.ours(&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "only people with a pod on this server may resolve handles here"})
		return
	}
	webID, err := h.Resolve(r.Context(), r.URL.Query().Get("handle"))
	switch {
	case errors.Is(err, errBadHandle):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "That is not a handle of the form @name@server."})
	case errors.Is(err, errNoPerson):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "There is no such account."})
	case errors.Is(err, errNoWebID):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "That account has no WebID or actor to give access to."})
	case err != nil:
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "The server of that handle could not be asked."})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"webid": webID})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
