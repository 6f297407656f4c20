package op

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/naamio/naamio/kv"
)

// Client metadata limits (outside input: bound everything).
const (
	maxClientIDLen    = 2048
	maxURILen         = 2048
	maxRedirectURIs   = 20
	maxNameLen        = 200
	authNone          = "none"
	authSecretBasic   = "client_secret_basic"
	grantCode         = "authorization_code"
	grantRefresh      = "refresh_token"
	grantCredentials  = "client_credentials"
	clientIDDocScheme = "https://"
)

// client is a known client: dynamically registered (stored under kvClient)
// or described by a Client Identifier Document (Document true, cached).
type client struct {
	ID                     string   `json:"client_id"`
	Name                   string   `json:"client_name,omitempty"`
	URI                    string   `json:"client_uri,omitempty"`
	LogoURI                string   `json:"logo_uri,omitempty"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes             []string `json:"grant_types"`
	AuthMethod             string   `json:"token_endpoint_auth_method"`
	SecretHash             string   `json:"secret_hash,omitempty"`
	IssuedAt               int64    `json:"client_id_issued_at,omitempty"`
	Document               bool     `json:"document,omitempty"`
	// Expires (Unix seconds) is when a registered client is forgotten; 0
	// for clients registered before expiry existed (they get one at their
	// next lookup). Used: an authorization code was issued to the client.
	// See UnusedClientTTL.
	Expires int64 `json:"expires_at,omitempty"`
	Used    bool  `json:"used,omitempty"`
}

// Registered clients expire: UnusedClientTTL after registration when no
// authorization code was ever issued to them (the KV record's TTL, and
// client.Expires against the provider's clock). Once a code is issued, a
// client is kept for max(RefreshTokenTTL, UnusedClientTTL) after its last
// use (a code issued, or any lookup: authorization request, token,
// revocation or logout request), so it outlives every grant it holds: a
// refresh token lives RefreshTokenTTL from its issue. The record is
// rewritten at most once per clientRenewSlack.
const (
	UnusedClientTTL  = 7 * 24 * time.Hour
	clientRenewSlack = 24 * time.Hour
)

// keepUsedClient is how long a used client is kept after its last use.
func (p *Provider) keepUsedClient() time.Duration { return max(p.refreshTTL, UnusedClientTTL) }

// touchClientTx marks registered client c used at now and, unless it is
// already kept long enough, pushes its expiry (record and TTL) to now +
// keepUsedClient + clientRenewSlack.
func (p *Provider) touchClientTx(tx kv.Txn, c *client, now time.Time) error {
	if c.Used && c.Expires != 0 && time.Unix(c.Expires, 0).Sub(now) >= p.keepUsedClient() {
		return nil
	}
	ttl := p.keepUsedClient() + clientRenewSlack
	c.Used = true
	c.Expires = now.Add(ttl).Unix()
	return putJSON(tx, kvClient+c.ID, c, ttl)
}

// renewClient is touchClientTx on the stored client id, in its own
// transaction; a client that is gone is left alone.
func (p *Provider) renewClient(ctx context.Context, id string, now time.Time) error {
	return p.kv.Update(ctx, func(tx kv.Txn) error {
		var c client
		if err := getJSON(tx, kvClient+id, &c); err != nil {
			if errors.Is(err, kv.ErrNotFound) {
				return nil
			}
			return err
		}
		return p.touchClientTx(tx, &c, now)
	})
}

func (c *client) public() bool { return c.AuthMethod == authNone }

func (c *client) allowsGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }

// hasRedirect reports whether uri is registered, by exact string comparison
// (RFC 6749 §3.1.2.3 simple string comparison; OAuth 2.0 Security BCP §4.1).
func (c *client) hasRedirect(uri string) bool { return slices.Contains(c.RedirectURIs, uri) }

func (c *client) hasPostLogoutRedirect(uri string) bool {
	return slices.Contains(c.PostLogoutRedirectURIs, uri)
}

// secretMatches compares secret with the stored hash in constant time.
func (c *client) secretMatches(secret string) bool {
	if c.SecretHash == "" || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashed(secret)), []byte(c.SecretHash)) == 1
}

// lookupClient finds the client with id: an https URL is a Client
// Identifier Document (Solid-OIDC §5.1), anything else a registered client.
// Unknown clients match ErrUnknownClient; unusable documents
// ErrClientDocument.
func (p *Provider) lookupClient(ctx context.Context, id string) (*client, error) {
	if id == "" || len(id) > maxClientIDLen {
		return nil, ErrUnknownClient
	}
	if c, ok := p.builtin[id]; ok {
		cp := *c
		return &cp, nil
	}
	if strings.HasPrefix(id, clientIDDocScheme) {
		return p.clientDocument(ctx, id)
	}
	var c client
	b, err := p.kv.Get(ctx, kvClient+id)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, ErrUnknownClient
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("op: stored client: %w", err)
	}
	now := p.now()
	if c.Expires != 0 && now.Unix() >= c.Expires {
		return nil, ErrUnknownClient // the store's TTL removes it
	}
	// A used client (or one from before expiry) is in use: keep it. Best
	// effort: if the write fails, the client keeps its current expiry,
	// which is still at least a day away or is renewed on a later use.
	if (c.Used || c.Expires == 0) && (c.Expires == 0 || time.Unix(c.Expires, 0).Sub(now) < p.keepUsedClient()) {
		if err := p.renewClient(ctx, id, now); err != nil {
			p.log.WarnContext(ctx, "renewing client registration failed", "client_id", id, "err", err)
		}
	}
	return &c, nil
}

// stringList is a JSON string array that also accepts a single string (the
// form JSON-LD compaction gives a one-element list).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*l = stringList{s}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return errors.New("not a string or an array of strings")
	}
	*l = a
	return nil
}

// clientMetadata is client metadata as sent to the registration endpoint
// (RFC 7591 §2) or found in a Client Identifier Document. Unknown members
// (@context, contacts, ...) are ignored.
type clientMetadata struct {
	ClientID                string     `json:"client_id"`
	RedirectURIs            stringList `json:"redirect_uris"`
	PostLogoutRedirectURIs  stringList `json:"post_logout_redirect_uris"`
	ClientName              string     `json:"client_name"`
	ClientURI               string     `json:"client_uri"`
	LogoURI                 string     `json:"logo_uri"`
	GrantTypes              stringList `json:"grant_types"`
	ResponseTypes           stringList `json:"response_types"`
	TokenEndpointAuthMethod string     `json:"token_endpoint_auth_method"`
}

// metadataError is a registration error (RFC 7591 §3.2.2) with a fixed
// description.
func metadataError(code, desc string) *oauthError {
	return &oauthError{status: 400, code: code, desc: desc}
}

// toClient validates m and returns the client it describes (without id and
// secret). document selects the rules of Client Identifier Documents:
// public clients only.
func (m *clientMetadata) toClient(document bool) (*client, error) {
	if len(m.RedirectURIs) == 0 {
		return nil, metadataError("invalid_redirect_uri", "redirect_uris is required")
	}
	if len(m.RedirectURIs) > maxRedirectURIs || len(m.PostLogoutRedirectURIs) > maxRedirectURIs {
		return nil, metadataError("invalid_redirect_uri", "too many redirect URIs")
	}
	for _, u := range m.RedirectURIs {
		if !validRedirectURI(u) {
			return nil, metadataError("invalid_redirect_uri", "a redirect URI is not an absolute https URL, an http loopback URL or a private-use scheme URI without fragment")
		}
	}
	for _, u := range m.PostLogoutRedirectURIs {
		if !validRedirectURI(u) {
			return nil, metadataError("invalid_client_metadata", "a post-logout redirect URI is not valid")
		}
	}
	if len(m.ClientName) > maxNameLen {
		return nil, metadataError("invalid_client_metadata", "client_name is too long")
	}
	for _, u := range []string{m.ClientURI, m.LogoURI} {
		if u != "" && !validWebURL(u) {
			return nil, metadataError("invalid_client_metadata", "client_uri and logo_uri must be https URLs")
		}
	}
	for _, rt := range m.ResponseTypes {
		if rt != "code" {
			return nil, metadataError("invalid_client_metadata", `only the response type "code" is supported`)
		}
	}
	// RFC 7591 §2: grant_types defaults to authorization_code. The server
	// may narrow what was asked for; it never widens it.
	grants := []string{grantCode}
	if len(m.GrantTypes) > 0 {
		grants = nil
		for _, g := range m.GrantTypes {
			if (g == grantCode || g == grantRefresh) && !slices.Contains(grants, g) {
				grants = append(grants, g)
			}
		}
		if !slices.Contains(grants, grantCode) {
			return nil, metadataError("invalid_client_metadata", "grant_types must include authorization_code")
		}
	}
	method := m.TokenEndpointAuthMethod
	switch {
	case document && (method == "" || method == authNone):
		method = authNone
	case document:
		return nil, metadataError("invalid_client_metadata", "a Client Identifier Document describes a public client (token_endpoint_auth_method none)")
	case method == "":
		method = authSecretBasic // RFC 7591 §2 default
	case method != authNone && method != authSecretBasic:
		return nil, metadataError("invalid_client_metadata", "token_endpoint_auth_method must be none or client_secret_basic")
	}
	return &client{
		Name:                   m.ClientName,
		URI:                    m.ClientURI,
		LogoURI:                m.LogoURI,
		RedirectURIs:           slices.Clone(m.RedirectURIs),
		PostLogoutRedirectURIs: slices.Clone(m.PostLogoutRedirectURIs),
		GrantTypes:             grants,
		AuthMethod:             method,
		Document:               document,
	}, nil
}

// validRedirectURI accepts an absolute URI without fragment and user info
// that is https, http to a loopback host (RFC 8252 §7.3), or a private-use
// scheme with a dot (RFC 8252 §7.1). Everything else (javascript:, data:,
// http to other hosts, relative references) is refused.
func validRedirectURI(s string) bool {
	if s == "" || len(s) > maxURILen || strings.ContainsAny(s, "#\x00\r\n\t ") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || !u.IsAbs() {
		return false
	}
	switch u.Scheme {
	case "https":
		return u.Host != "" && u.Opaque == ""
	case "http":
		return u.Opaque == "" && isLoopbackHost(u.Hostname())
	default:
		return strings.Contains(u.Scheme, ".")
	}
}

// validWebURL accepts an absolute https URL (or http to loopback).
func validWebURL(s string) bool {
	if len(s) > maxURILen {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && isLoopbackHost(u.Hostname()))
}

// isLoopbackHost reports whether h names loopback: "localhost", a name
// under it (RFC 6761 §6.3: browsers resolve every *.localhost name to
// loopback, as a development server's subdomain pods use), or a loopback
// address.
func isLoopbackHost(h string) bool {
	h = strings.ToLower(h)
	if h == "localhost" {
		return true
	}
	if name, ok := strings.CutSuffix(h, ".localhost"); ok {
		return name != "" && !strings.HasPrefix(name, ".") && !strings.Contains(name, "..")
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// origin is scheme://host[:port] of an http(s) URI ("" otherwise).
func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
