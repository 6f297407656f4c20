package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/naamio/naamio/federation/remote"
)

// Finding a remote actor from what a person types (the Fediverse page's
// "follow @name@host"): a handle is looked up with WebFinger (RFC 7033)
// and the actor it names is fetched, both through the SSRF-safe client
// (SECURITY row 41: the address is checked after resolution, on every
// hop). WebFinger goes over https, and over plain http only to the
// loopback addresses the operator allowed (--allow-fetch-addr, tests).

// Limits of a handle.
const (
	maxHandleUser = 64
	maxHandleHost = 253 + 6 // a DNS name and ":port"
	maxActorName  = 100     // runes of a display name kept
)

// actorTypes are the AS2 types of an actor one can follow.
var actorTypes = []string{"Person", "Service", "Application", "Group", "Organization"}

// RemoteActor is what the page shows of an actor before following it.
// Name is plain text (never markup); every IRI is http(s).
type RemoteActor struct {
	ID     string `json:"id"`
	Handle string `json:"handle"` // "@user@host"
	Name   string `json:"name,omitempty"`
	Type   string `json:"type"`
	Inbox  string `json:"inbox"`
	URL    string `json:"url,omitempty"` // its profile page
	Locked bool   `json:"locked"`        // manuallyApprovesFollowers
}

// ParseHandle reads "@user@host", "user@host" or "acct:user@host" (host
// with an optional port, or an IP literal, [v6] in brackets) and returns
// the user part and the host in lower case. Anything else — spaces,
// paths, queries, user info, another "@", controls, over-long parts — is
// refused with an error matching errBadRequest.
func ParseHandle(s string) (user, host string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", fmt.Errorf("%w: not a handle @name@host (%s)", errBadRequest, why)
	}
	if len(s) > 1+maxHandleUser+1+maxHandleHost+5 {
		return bad("too long")
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "acct:"), "@")
	user, host, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(host, "@") {
		return bad("one @ between name and host")
	}
	if user == "" || len(user) > maxHandleUser {
		return bad("name")
	}
	for _, c := range user {
		if !(c < utf8.RuneSelf && (c == '_' || c == '.' || c == '-' || unicode.IsLetter(c) || unicode.IsDigit(c))) {
			return bad("name: letters, digits, _ . - only")
		}
	}
	host = strings.ToLower(host)
	if host == "" || len(host) > maxHandleHost {
		return bad("host")
	}
	h, port := host, ""
	if strings.HasPrefix(host, "[") || strings.Count(host, ":") == 1 {
		var err error
		if h, port, err = net.SplitHostPort(host); err != nil {
			if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
				h, port = host[1:len(host)-1], ""
			} else {
				return bad("host:port")
			}
		}
		if (port != "" || strings.HasSuffix(host, ":")) && !validPort(port) {
			return bad("port")
		}
	}
	if ip := net.ParseIP(h); ip != nil {
		if strings.Contains(h, ":") && !strings.HasPrefix(host, "[") {
			return bad("an IPv6 host is written in brackets")
		}
		return user, host, nil
	}
	if !validHostName(h) {
		return bad("host name")
	}
	return user, host, nil
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n < 65536
}

// validHostName is an ASCII DNS name (a punycoded IDN too) with at least
// one dot or "localhost": labels of letters, digits and '-', not starting
// or ending with '-'.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return len(labels) > 1 || h == "localhost"
}

// Resolve finds the actor a person means by handleOrIRI: a handle
// (ParseHandle), or an actor's http(s) IRI. A handle of this server is
// answered from its pods; any other is looked up with WebFinger and its
// actor fetched (AS2, id = the URL: SECURITY row 39). When the actor is
// on another host than the handle (WebFinger delegation), the actor's own
// host must name the same actor for preferredUsername@host, as Mastodon
// checks, so a WebFinger server cannot pass off another server's actor
// as one of its own. Errors match errBadRequest (400: not a handle or
// not an actor), errNotFound (404) or errUnavailable (502/503: the peer
// could not be asked now); HTTPStatus maps them.
func (s *Service) Resolve(ctx context.Context, handleOrIRI string) (RemoteActor, error) {
	in := strings.TrimSpace(handleOrIRI)
	if strings.HasPrefix(in, "https://") || strings.HasPrefix(in, "http://") {
		if !absoluteIRI(in) {
			return RemoteActor{}, fmt.Errorf("%w: not an actor IRI", errBadRequest)
		}
		return s.fetchActor(ctx, in, "")
	}
	user, host, err := ParseHandle(in)
	if err != nil {
		return RemoteActor{}, err
	}
	if s.ourHost(host) {
		pod := strings.ToLower(user)
		if _, ok := s.cfg.Pods.OwnerWebID(pod); !validPodName(pod) || !ok {
			return RemoteActor{}, fmt.Errorf("%w: no account %s here", errNotFound, user)
		}
		return RemoteActor{ID: s.cfg.Paths.Actor(pod), Handle: "@" + pod + "@" + s.cfg.Paths.Host(), Name: pod,
			Type: "Person", Inbox: s.cfg.Paths.Inbox(pod), URL: s.cfg.Paths.WebID(pod)}, nil
	}
	href, err := s.webFinger(ctx, user, host)
	if err != nil {
		return RemoteActor{}, err
	}
	return s.fetchActor(ctx, href, "@"+user+"@"+host)
}

// webFinger asks host for acct:user@host and returns the actor it names.
func (s *Service) webFinger(ctx context.Context, user, host string) (string, error) {
	if s.cfg.Fetch == nil || s.cfg.Fetch.Client == nil {
		return "", fmt.Errorf("%w: no fetcher configured", errUnavailable)
	}
	q := url.Values{"resource": {"acct:" + user + "@" + host}}.Encode()
	u := "https://" + host + WebFingerPath + "?" + q
	if plain := "http://" + host + WebFingerPath + "?" + q; s.cfg.Fetch.Client.Permits(plain) {
		u = plain // a loopback address the operator allowed (tests)
	}
	if !s.cfg.Fetch.Client.Permits(u) {
		return "", fmt.Errorf("%w: %s may not be fetched", errBadRequest, host)
	}
	resp, err := s.cfg.Fetch.Client.Get(ctx, u, MediaJRD+", application/json")
	if err != nil {
		return "", fmt.Errorf("%w: WebFinger at %s: %v", errUnavailable, host, err)
	}
	switch {
	case resp.StatusCode == 404 || resp.StatusCode == 410:
		return "", fmt.Errorf("%w: %s does not know @%s", errNotFound, host, user)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return "", fmt.Errorf("%w: WebFinger at %s answered %d", errUnavailable, host, resp.StatusCode)
	}
	var doc jrd
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return "", fmt.Errorf("%w: WebFinger at %s: not JSON", errUnavailable, host)
	}
	for _, l := range doc.Links {
		if l.Rel == relSelf && remote.IsAS2(l.Type) && absoluteIRI(l.Href) {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("%w: %s names no ActivityPub actor for @%s", errNotFound, host, user)
}

// fetchActor fetches iri and reads it as an actor; handle is the handle
// it was found by ("" when given by IRI).
func (s *Service) fetchActor(ctx context.Context, iri, handle string) (RemoteActor, error) {
	if s.cfg.Fetch == nil {
		return RemoteActor{}, fmt.Errorf("%w: no fetcher configured", errUnavailable)
	}
	doc, err := s.cfg.Fetch.Fetch(ctx, iri)
	switch {
	case errors.Is(err, remote.ErrTemporary):
		return RemoteActor{}, fmt.Errorf("%w: %v", errUnavailable, err)
	case errors.Is(err, remote.ErrNotFound):
		return RemoteActor{}, fmt.Errorf("%w: %v", errNotFound, err)
	case err != nil:
		return RemoteActor{}, fmt.Errorf("%w: %v", errBadRequest, err)
	}
	o := doc.Object
	a := RemoteActor{ID: doc.ID, Type: str(o["type"]), Inbox: idOf(o["inbox"])}
	if !slices.Contains(actorTypes, a.Type) || !httpIRI(a.Inbox) {
		return RemoteActor{}, fmt.Errorf("%w: %s is not an actor", errBadRequest, iri)
	}
	a.Locked, _ = o["manuallyApprovesFollowers"].(bool)
	if u := idOf(o["url"]); httpIRI(u) {
		a.URL = u
	}
	a.Name = PlainName(str(o["name"]))
	actorHost := hostOf(doc.ID)
	pu := str(o["preferredUsername"])
	if _, _, err := ParseHandle(pu + "@" + actorHost); err != nil {
		pu = ""
	}
	handleHost := ""
	if handle != "" {
		_, handleHost, _ = ParseHandle(handle)
	}
	switch {
	case handle != "" && handleHost != actorHost:
		// WebFinger delegation: the actor's own host must confirm it.
		if pu == "" {
			return RemoteActor{}, fmt.Errorf("%w: %s is on another host and names no preferredUsername", errBadRequest, doc.ID)
		}
		if back, err := s.webFinger(ctx, pu, actorHost); err != nil || back != doc.ID {
			return RemoteActor{}, fmt.Errorf("%w: %s does not confirm %s as @%s", errBadRequest, actorHost, doc.ID, pu)
		}
		handle = "@" + pu + "@" + actorHost // the handle its own host confirmed
	case pu != "":
		handle = "@" + pu + "@" + actorHost
	}
	a.Handle = handle
	return a, nil
}

// hostOf is the lower-case host[:port] of an absolute IRI ("" if none).
func hostOf(iri string) string {
	u, err := url.Parse(iri)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// PlainName is a remote display name as plain text for people: controls
// and bidirectional overrides dropped, spaces collapsed, at most
// maxActorName runes. It is still text: pages render it escaped.
func PlainName(s string) string {
	var b strings.Builder
	space := false
	n := 0
	for _, c := range s {
		switch {
		case unicode.IsSpace(c):
			space = b.Len() > 0
			continue
		case unicode.IsControl(c), unicode.Is(unicode.Bidi_Control, c), c == utf8.RuneError:
			continue
		}
		if n == maxActorName {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(c)
		n++
	}
	return b.String()
}

// HTTPStatus is the status this package answers err with (for handlers
// outside it that call its functions).
func HTTPStatus(err error) int { return statusFor(err) }

// OwnerWebID is the WebID pod was made for, if the pod exists (the pod
// registry's record).
func (s *Service) OwnerWebID(pod string) (string, bool) { return s.cfg.Pods.OwnerWebID(pod) }
