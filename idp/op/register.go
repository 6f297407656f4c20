package op

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/naamio/naamio/kv"
)

// maxBodyBytes bounds every request body the provider reads.
const maxBodyBytes = 64 << 10

// serveRegister is dynamic client registration (RFC 7591 §3). Anyone may
// register (OpenID Connect Dynamic Client Registration: open registration);
// a registered name is self-asserted, which the consent page should say.
// A registration never used expires after UnusedClientTTL (client.go).
func (p *Provider) serveRegister(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		p.writeOAuthError(w, r, invalidRequest("Content-Type must be application/json"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		p.writeOAuthError(w, r, invalidRequest("request body too large or unreadable"))
		return
	}
	c, err := parseRegistration(body)
	if err != nil {
		p.writeOAuthError(w, r, err)
		return
	}
	c.ID = randomToken(16)
	now := p.now()
	c.IssuedAt = now.Unix()
	// Forgotten after UnusedClientTTL unless a code is issued to it
	// (touchClientTx keeps it from then on).
	c.Expires = now.Add(UnusedClientTTL).Unix()
	var secret string
	if !c.public() {
		secret = randomToken(32)
		c.SecretHash = hashed(secret)
	}
	b, err := json.Marshal(c)
	if err == nil {
		err = p.kv.Put(r.Context(), kvClient+c.ID, b, UnusedClientTTL)
	}
	if err != nil {
		if errors.Is(err, kv.ErrInsufficientStorage) {
			p.writeOAuthError(w, r, unavailableErr("storage full", err))
			return
		}
		p.writeOAuthError(w, r, serverError(err))
		return
	}
	resp := map[string]any{
		"client_id":                  c.ID,
		"client_id_issued_at":        c.IssuedAt,
		"redirect_uris":              c.RedirectURIs,
		"grant_types":                c.GrantTypes,
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": c.AuthMethod,
	}
	if secret != "" {
		resp["client_secret"] = secret
		resp["client_secret_expires_at"] = 0
	}
	for k, v := range map[string]string{"client_name": c.Name, "client_uri": c.URI, "logo_uri": c.LogoURI} {
		if v != "" {
			resp[k] = v
		}
	}
	if len(c.PostLogoutRedirectURIs) > 0 {
		resp["post_logout_redirect_uris"] = c.PostLogoutRedirectURIs
	}
	writeJSON(w, http.StatusCreated, resp)
}

// parseRegistration parses and validates a registration request body.
func parseRegistration(body []byte) (*client, error) {
	var m clientMetadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, metadataError("invalid_client_metadata", "body is not a JSON object of client metadata")
	}
	if m.ClientID != "" {
		return nil, metadataError("invalid_client_metadata", "client_id is assigned by the server")
	}
	c, err := m.toClient(false)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Name) != c.Name {
		c.Name = strings.TrimSpace(c.Name)
	}
	return c, nil
}
