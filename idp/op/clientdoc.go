package op

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// fetchTimeout bounds one Client Identifier Document fetch.
const fetchTimeout = 5 * time.Second

// clientDocument returns the client described by the Client Identifier
// Document at id (Solid-OIDC §5.1), from the cache or by fetching it. The
// fetch must answer 200 at exactly id (a redirect is refused: SECURITY.md
// row 33), and the document's client_id must equal id.
func (p *Provider) clientDocument(ctx context.Context, id string) (*client, error) {
	if p.fetcher == nil {
		return nil, ErrUnknownClient
	}
	now := p.now()
	if c, ok := p.docs.get(id, now); ok {
		return c, nil
	}
	if !validClientIDURL(id) {
		return nil, fmt.Errorf("%w: client_id is not a plain https URL", ErrClientDocument)
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	f, err := p.fetcher.Fetch(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%w: fetch failed: %w", ErrClientDocument, err)
	}
	if f.StatusCode != 200 {
		return nil, fmt.Errorf("%w: fetch answered %d", ErrClientDocument, f.StatusCode)
	}
	if f.URL != "" && f.URL != id {
		return nil, fmt.Errorf("%w: fetch was redirected", ErrClientDocument)
	}
	c, err := parseClientDocument(id, f.Body)
	if err != nil {
		return nil, err
	}
	p.docs.put(id, c, now.Add(p.docTTL), now)
	return c, nil
}

// parseBuiltin parses Options.Builtin. The documents are the server's
// own (not outside input), so the rules for fetched documents that only
// guard against other parties (an https client_id and redirect URIs) are
// not applied: a server on a plain-http base URL has plain-http pages.
// The client is public and may only use the code and refresh grants.
func parseBuiltin(docs [][]byte) (map[string]*client, error) {
	out := make(map[string]*client, len(docs))
	for _, d := range docs {
		var m clientMetadata
		if err := json.Unmarshal(d, &m); err != nil {
			return nil, fmt.Errorf("op: Options.Builtin: %w", err)
		}
		if m.ClientID == "" || len(m.RedirectURIs) == 0 || (m.TokenEndpointAuthMethod != "" && m.TokenEndpointAuthMethod != authNone) {
			return nil, fmt.Errorf("op: Options.Builtin %q: needs client_id and redirect_uris, and no client authentication", m.ClientID)
		}
		grants := []string{grantCode}
		if slices.Contains(m.GrantTypes, grantRefresh) {
			grants = append(grants, grantRefresh)
		}
		out[m.ClientID] = &client{ID: m.ClientID, Name: m.ClientName, URI: m.ClientURI, LogoURI: m.LogoURI,
			RedirectURIs: slices.Clone(m.RedirectURIs), PostLogoutRedirectURIs: slices.Clone(m.PostLogoutRedirectURIs),
			GrantTypes: grants, AuthMethod: authNone, Document: true}
	}
	return out, nil
}

// validClientIDURL: https, a host, no user info, no fragment.
func validClientIDURL(id string) bool {
	if len(id) > maxClientIDLen || strings.ContainsAny(id, "#\x00\r\n\t ") {
		return false
	}
	u, err := url.Parse(id)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.Opaque == ""
}

// parseClientDocument parses a Client Identifier Document fetched from id.
// It is read as plain JSON (its @context is not processed: no remote
// context is ever fetched, SECURITY.md row 14).
func parseClientDocument(id string, body []byte) (*client, error) {
	if len(body) > maxBodyBytes {
		return nil, fmt.Errorf("%w: document too large", ErrClientDocument)
	}
	var m clientMetadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object of client metadata", ErrClientDocument)
	}
	if m.ClientID != id {
		return nil, fmt.Errorf("%w: its client_id is not the document URL", ErrClientDocument)
	}
	c, err := m.toClient(true)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrClientDocument, err)
	}
	c.ID = id
	return c, nil
}

// docCache holds parsed Client Identifier Documents for a short while, so
// that an authorization request and its token request fetch once. Failures
// are not cached.
type docCache struct {
	mu  sync.Mutex
	max int
	m   map[string]docEntry
}

type docEntry struct {
	c   *client
	exp time.Time
}

func newDocCache(max int) *docCache { return &docCache{max: max, m: map[string]docEntry{}} }

func (d *docCache) get(id string, now time.Time) (*client, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[id]
	if !ok || !now.Before(e.exp) {
		return nil, false
	}
	return e.c, true
}

func (d *docCache) put(id string, c *client, exp, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) >= d.max {
		for k, e := range d.m {
			if !now.Before(e.exp) {
				delete(d.m, k)
			}
		}
		for k := range d.m { // still full: drop arbitrary entries
			if len(d.m) < d.max {
				break
			}
			delete(d.m, k)
		}
	}
	d.m[id] = docEntry{c: c, exp: exp}
}
