package ui

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
)

// The pages' own Solid-OIDC client. Its client_id is the URL of its
// Client Identifier Document, <base>/.web/client.jsonld, which the server
// serves (so the id dereferences, Solid-OIDC §5.1) and which the provider
// also knows built in (op.Options.Builtin): it never fetches it, which
// also works over plain http on a development machine. It is a public
// client (PKCE, DPoP-bound tokens, token_endpoint_auth_method none) whose
// only redirect URI is <base>/.web/callback, and the account pages show it
// no consent screen (it is the server's own pages acting for the person
// whose session it is, web.Options.FirstPartyClient).
const (
	ClientPath   = "/.web/client.jsonld"
	CallbackPath = "/.web/callback"
	// ClientName is the name the provider and the account page show.
	ClientName = "Naamio pages"
)

// ClientID is the pages' client_id for the server at baseURL (with its
// trailing slash).
func ClientID(baseURL string) string {
	return strings.TrimSuffix(baseURL, "/") + ClientPath
}

// ClientDocument is the pages' Client Identifier Document for baseURL.
func ClientDocument(baseURL string) []byte {
	b := strings.TrimSuffix(baseURL, "/")
	doc := map[string]any{
		"@context":                   []string{"https://www.w3.org/ns/solid/oidc-context.jsonld"},
		"client_id":                  b + ClientPath,
		"client_name":                ClientName,
		"client_uri":                 b + "/",
		"redirect_uris":              []string{b + CallbackPath},
		"post_logout_redirect_uris":  []string{b + "/"},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"scope":                      "openid webid offline_access",
		"token_endpoint_auth_method": "none",
	}
	out, _ := json.MarshalIndent(doc, "", "  ") // a map of strings: never fails
	return out
}

// ClientPages serves the client's document and its redirect page.
type ClientPages struct {
	set *Set
	doc []byte
}

// NewClientPages returns the handler of ClientPath and CallbackPath (with
// the base path stripped).
func NewClientPages(baseURL string, log *slog.Logger) (*ClientPages, error) {
	set, err := Parse(baseURL, log, layoutFS, "templates", "callback")
	if err != nil {
		return nil, err
	}
	return &ClientPages{set: set, doc: ClientDocument(set.BaseURL())}, nil
}

func (c *ClientPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	switch r.URL.Path {
	case ClientPath:
		hd := w.Header()
		hd.Set("Content-Type", "application/ld+json")
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Cache-Control", "public, max-age=3600")
		hd.Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(c.doc)
	case CallbackPath:
		// The redirect page: callback.js exchanges the code (naamio.js) and
		// returns to the page that asked to log in. It has no data of its
		// own; without JavaScript it says so.
		c.set.Render(w, r, http.StatusOK, "callback", &Page{Title: "Signing in", Nav: []NavLink{},
			Scripts: []string{"callback.js"}})
	default:
		http.NotFound(w, r)
	}
}
