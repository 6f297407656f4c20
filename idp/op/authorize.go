package op

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/naamio/naamio/kv"
)

// Parameter limits for authorization requests.
const (
	maxStateLen  = 2048
	maxNonceLen  = 512
	challengeLen = 43 // base64url of a SHA-256 digest (RFC 7636 §4.2)
)

// Pending is a validated authorization request waiting for log-in and
// consent. Everything in it except ID may be shown to the user; Name is
// self-asserted by the client (Dynamic) or its document.
type Pending struct {
	ID         string `json:"-"` // the interaction id (secret; not stored in clear)
	ClientID   string `json:"client_id"`
	ClientName string `json:"client_name,omitempty"`
	ClientURI  string `json:"client_uri,omitempty"`
	LogoURI    string `json:"logo_uri,omitempty"`
	// Dynamic is true for a dynamically registered client: its name and
	// URIs are unverified. For a Client Identifier Document, ClientID is
	// an https URL the client controls.
	Dynamic bool `json:"dynamic,omitempty"`
	// Origin is the origin of RedirectURI: where the code will be sent.
	Origin      string   `json:"origin,omitempty"`
	RedirectURI string   `json:"redirect_uri"`
	Scopes      []string `json:"scopes"`
	State       string   `json:"state,omitempty"`
	Nonce       string   `json:"nonce,omitempty"`
	Challenge   string   `json:"code_challenge"`
	// Prompt is the OpenID prompt parameter, space-separated values
	// ("none", "login", "consent", "select_account"); MaxAge is max_age in
	// seconds (-1 when absent). The web layer honours them: it asks
	// Provider.NeedsLogin whether the browser's session will do, answers
	// login_required (DenyWith) for prompt=none when it will not, and
	// gives the session's log-in time to CompleteAt, which refuses a code
	// that would break them (ErrLoginRequired).
	Prompt    string    `json:"prompt,omitempty"`
	MaxAge    int64     `json:"max_age"`
	LoginHint string    `json:"login_hint,omitempty"`
	Created   time.Time `json:"created"`
}

// codeRecord is a stored authorization code (kvCode).
type codeRecord struct {
	ClientID    string   `json:"client_id"`
	RedirectURI string   `json:"redirect_uri"`
	Challenge   string   `json:"code_challenge"`
	Scopes      []string `json:"scopes"`
	Nonce       string   `json:"nonce,omitempty"`
	WebID       string   `json:"webid"`
	AccountID   string   `json:"account_id"`
	AuthTime    int64    `json:"auth_time"`
	Expires     int64    `json:"exp"`
	Used        bool     `json:"used,omitempty"`
	// Grant is the key of the grant issued from this code, revoked if the
	// code is presented again (RFC 6749 §4.1.2).
	Grant string `json:"grant,omitempty"`
	// Access is the access token issued for the code, revoked with the
	// grant if the code is presented again.
	Access *issuedAccess `json:"access,omitempty"`
}

// codeRecordTTL is how long a code record is kept (used or not) so that a
// reused code is recognised and its grant revoked.
const codeRecordTTL = 10 * time.Minute

// authParams returns the request's parameters (query for GET, form for
// POST, OpenID Connect Core §3.1.2.1). ok is false when one of them is
// repeated (RFC 6749 §3.1).
func authParams(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	var v url.Values
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		if err := r.ParseForm(); err != nil {
			return nil, false
		}
		v = r.PostForm
	} else {
		var err error
		if v, err = url.ParseQuery(r.URL.RawQuery); err != nil {
			return nil, false
		}
	}
	for _, vals := range v {
		if len(vals) > 1 {
			return nil, false
		}
	}
	return v, true
}

// serveAuthorize is the authorization endpoint (RFC 6749 §4.1.1, OpenID
// Connect Core §3.1.2). Until client_id and redirect_uri are verified every
// error is a 400 page; no redirect ever goes to an unverified URI
// (SECURITY.md row 33, RFC 6749 §4.1.2.1).
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	q, ok := authParams(w, r)
	if !ok {
		p.badRequestPage(w, r, "malformed or repeated parameters")
		return
	}
	ctx := r.Context()
	c, err := p.lookupClient(ctx, q.Get("client_id"))
	switch {
	case errors.Is(err, ErrUnknownClient):
		p.badRequestPage(w, r, "unknown client_id")
		return
	case errors.Is(err, ErrClientDocument):
		p.log.InfoContext(ctx, "client identifier document refused", "err", err)
		p.badRequestPage(w, r, "the client identifier document could not be used")
		return
	case err != nil:
		p.log.ErrorContext(ctx, "client lookup failed", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" || !c.hasRedirect(redirectURI) {
		p.badRequestPage(w, r, "redirect_uri is missing or not registered for this client")
		return
	}
	state := q.Get("state")
	if len(state) > maxStateLen {
		p.badRequestPage(w, r, "state is too long")
		return
	}
	// PKCE S256 is required; plain is refused (OAuth 2.0 Security BCP
	// §2.1.1). Refused with a page, not a redirect (SECURITY.md row 33).
	if q.Get("code_challenge_method") != "S256" {
		p.badRequestPage(w, r, "PKCE with code_challenge_method S256 is required")
		return
	}
	challenge := q.Get("code_challenge")
	if len(challenge) != challengeLen || !isBase64URL(challenge) {
		p.badRequestPage(w, r, "code_challenge is not a base64url SHA-256 value")
		return
	}

	// From here on the redirect URI is verified: errors go back to it.
	fail := func(code, desc string) {
		http.Redirect(w, r, p.errorRedirect(redirectURI, code, desc, state), http.StatusSeeOther)
	}
	switch {
	case q.Has("request"):
		fail("request_not_supported", "request objects are not supported")
		return
	case q.Has("request_uri"):
		fail("request_uri_not_supported", "request_uri is not supported")
		return
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", `only response_type "code" is supported`)
		return
	case q.Has("response_mode") && q.Get("response_mode") != "query":
		fail("invalid_request", `only response_mode "query" is supported`)
		return
	case len(q.Get("nonce")) > maxNonceLen || len(q.Get("login_hint")) > maxNameLen:
		fail("invalid_request", "nonce or login_hint is too long")
		return
	}
	scopes := grantableScopes(q.Get("scope"), c)
	if len(scopes) == 0 {
		fail("invalid_scope", "no supported scope requested")
		return
	}
	prompt, maxAge, ok := parsePrompt(q.Get("prompt"), q.Get("max_age"))
	if !ok {
		fail("invalid_request", "invalid prompt or max_age")
		return
	}
	pd := &Pending{
		ID:          randomToken(32),
		ClientID:    c.ID,
		ClientName:  c.Name,
		ClientURI:   c.URI,
		LogoURI:     c.LogoURI,
		Dynamic:     !c.Document,
		Origin:      origin(redirectURI),
		RedirectURI: redirectURI,
		Scopes:      scopes,
		State:       state,
		Nonce:       q.Get("nonce"),
		Challenge:   challenge,
		Prompt:      prompt,
		MaxAge:      maxAge,
		LoginHint:   q.Get("login_hint"),
		Created:     p.now(),
	}
	b, err := json.Marshal(pd)
	if err == nil {
		err = p.kv.Put(ctx, kvInteraction+hashed(pd.ID), b, p.interactionTTL)
	}
	if err != nil {
		p.log.ErrorContext(ctx, "store interaction failed", "err", err)
		fail("server_error", "")
		return
	}
	loc, err := p.ia.Begin(ctx, pd)
	if err != nil {
		p.log.ErrorContext(ctx, "interaction begin failed", "err", err)
		fail("server_error", "")
		return
	}
	http.Redirect(w, r, loc, http.StatusSeeOther)
}

// grantableScopes returns the supported scopes of a scope parameter, in
// supportedScopes order; offline_access only for clients allowed the
// refresh_token grant (OpenID Connect Core §11).
func grantableScopes(scope string, c *client) []string {
	asked := strings.Fields(scope)
	var out []string
	for _, s := range supportedScopes {
		if !slices.Contains(asked, s) {
			continue
		}
		if s == "offline_access" && !c.allowsGrant(grantRefresh) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// parsePrompt validates prompt (OpenID Connect Core §3.1.2.1) and max_age.
func parsePrompt(prompt, maxAge string) (string, int64, bool) {
	vals := strings.Fields(prompt)
	for _, v := range vals {
		switch v {
		case "login", "consent", "select_account":
		case "none":
			if len(vals) > 1 {
				return "", 0, false
			}
		default:
			return "", 0, false
		}
	}
	age := int64(-1)
	if maxAge != "" {
		var n int64
		if _, err := fmt.Sscanf(maxAge, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != maxAge {
			return "", 0, false
		}
		age = n
	}
	return strings.Join(vals, " "), age, true
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// errorRedirect is redirectURI with an error response (RFC 6749 §4.1.2.1)
// and iss (RFC 9207 §2). redirectURI must be verified.
func (p *Provider) errorRedirect(redirectURI, code, desc, state string) string {
	v := url.Values{"error": {code}, "iss": {p.issuer}}
	if desc != "" {
		v.Set("error_description", desc)
	}
	if state != "" {
		v.Set("state", state)
	}
	return addQuery(redirectURI, v)
}

// addQuery appends v to u's query, keeping u's own parameters as they are
// (RFC 6749 §3.1.2: the redirection URI's query component is retained).
func addQuery(u string, v url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
		if strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&") {
			sep = ""
		}
	}
	return u + sep + v.Encode()
}

// Pending returns the pending authorization request with interaction id, or
// an error matching ErrUnknownInteraction.
func (p *Provider) Pending(ctx context.Context, id string) (*Pending, error) {
	if id == "" {
		return nil, ErrUnknownInteraction
	}
	b, err := p.kv.Get(ctx, kvInteraction+hashed(id))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, ErrUnknownInteraction
	}
	if err != nil {
		return nil, err
	}
	var pd Pending
	if err := json.Unmarshal(b, &pd); err != nil {
		return nil, fmt.Errorf("op: stored interaction: %w", err)
	}
	pd.ID = id
	return &pd, nil
}

// takePending removes and returns the pending request id inside tx.
func takePending(tx kv.Txn, id string) (*Pending, error) {
	var pd Pending
	key := kvInteraction + hashed(id)
	if err := getJSON(tx, key, &pd); err != nil {
		if errors.Is(err, kv.ErrNotFound) {
			return nil, ErrUnknownInteraction
		}
		return nil, err
	}
	pd.ID = id
	return &pd, tx.Delete(key)
}

// ErrLoginRequired: CompleteAt was given a log-in time too old for the
// request's max_age, or from before a prompt=login request: the user must
// log in again (then call CompleteAt with the new log-in time). The
// request is still pending.
var ErrLoginRequired = errors.New("op: the user must log in again for this request")

// NeedsLogin reports whether a browser session whose user logged in at
// authTime (zero: no session) may not be used for request pd, so that the
// user must log in again (OpenID Connect Core §3.1.2.1): with
// prompt=login, unless the log-in happened after the request was made;
// with max_age, unless it did or the log-in is at most max_age seconds
// old. For prompt=none the web layer then answers login_required.
func (p *Provider) NeedsLogin(pd *Pending, authTime time.Time) bool {
	return needsLogin(pd, authTime, p.now())
}

func needsLogin(pd *Pending, authTime, now time.Time) bool {
	switch {
	case authTime.IsZero():
		return true
	case !authTime.Before(pd.Created):
		return false // logged in during this request: fresh enough for anything
	case slices.Contains(strings.Fields(pd.Prompt), "login"):
		return true
	case pd.MaxAge >= 0:
		// Whole seconds, as auth_time carries them.
		return now.Unix()-authTime.Unix() > pd.MaxAge
	}
	return false
}

// Complete finishes interaction id as CompleteAt does, with the time of
// this call as the log-in time (auth_time). Prefer CompleteAt: a session
// that logged in earlier should say so.
func (p *Provider) Complete(ctx context.Context, id, webID, accountID string) (string, error) {
	return p.CompleteAt(ctx, id, webID, accountID, p.now())
}

// CompleteAt finishes interaction id for the logged-in user who consented:
// it issues an authorization code (single use, CodeTTL) and returns the URL
// to redirect the user agent to, carrying code, state and iss (RFC 9207).
// The interaction cannot be completed twice. webID must be an http(s) URL;
// accountID names the account (grants are listed and revoked by it).
// authTime is when the user last logged in (the session's start): it is
// the auth_time of the ID tokens (OpenID Connect Core §2; a time in the
// future counts as now). When it does not satisfy the request's
// prompt=login or max_age (NeedsLogin), CompleteAt answers
// ErrLoginRequired and the request stays pending. Issuing the code marks
// a registered client used (UnusedClientTTL); a registered client that
// has meanwhile been removed is ErrUnknownClient.
func (p *Provider) CompleteAt(ctx context.Context, id, webID, accountID string, authTime time.Time) (string, error) {
	if !validWebID(webID) {
		return "", ErrInvalidWebID
	}
	code := randomToken(32)
	now := p.now()
	if authTime.After(now) {
		authTime = now
	}
	var pd *Pending
	err := p.kv.Update(ctx, func(tx kv.Txn) error {
		var err error
		if pd, err = takePending(tx, id); err != nil {
			return err
		}
		if needsLogin(pd, authTime, now) {
			return ErrLoginRequired // the transaction is dropped: still pending
		}
		// A registered client (not a Client Identifier Document, not one
		// the provider knows built in, whose id is http on an http base
		// URL) is marked used.
		if _, builtin := p.builtin[pd.ClientID]; !builtin && !strings.HasPrefix(pd.ClientID, clientIDDocScheme) {
			var c client
			if err := getJSON(tx, kvClient+pd.ClientID, &c); err != nil {
				if errors.Is(err, kv.ErrNotFound) {
					return ErrUnknownClient
				}
				return err
			}
			// The request was accepted while the client was live (at most
			// InteractionTTL ago), so this keeps it even if it just expired.
			if err := p.touchClientTx(tx, &c, now); err != nil {
				return err
			}
		}
		rec := codeRecord{
			ClientID:    pd.ClientID,
			RedirectURI: pd.RedirectURI,
			Challenge:   pd.Challenge,
			Scopes:      pd.Scopes,
			Nonce:       pd.Nonce,
			WebID:       webID,
			AccountID:   accountID,
			AuthTime:    authTime.Unix(),
			Expires:     now.Add(CodeTTL).Unix(),
		}
		return putJSON(tx, kvCode+hashed(code), rec, codeRecordTTL)
	})
	if err != nil {
		return "", err
	}
	v := url.Values{"code": {code}, "iss": {p.issuer}}
	if pd.State != "" {
		v.Set("state", pd.State)
	}
	return addQuery(pd.RedirectURI, v), nil
}

// denyCodes are the error codes Deny accepts (RFC 6749 §4.1.2.1, OpenID
// Connect Core §3.1.2.6).
var denyCodes = []string{"access_denied", "login_required", "consent_required", "interaction_required", "account_selection_required"}

// Deny ends interaction id with error=access_denied (the user refused) and
// returns the URL to redirect the user agent to.
func (p *Provider) Deny(ctx context.Context, id string) (string, error) {
	return p.DenyWith(ctx, id, "access_denied")
}

// DenyWith ends interaction id with one of the errors access_denied,
// login_required, consent_required, interaction_required or
// account_selection_required (e.g. for prompt=none).
func (p *Provider) DenyWith(ctx context.Context, id, code string) (string, error) {
	if !slices.Contains(denyCodes, code) {
		return "", fmt.Errorf("op: %q is not an authorization error code", code)
	}
	var pd *Pending
	err := p.kv.Update(ctx, func(tx kv.Txn) error {
		var err error
		pd, err = takePending(tx, id)
		return err
	})
	if err != nil {
		return "", err
	}
	return p.errorRedirect(pd.RedirectURI, code, "", pd.State), nil
}

func validWebID(s string) bool {
	if s == "" || len(s) > maxURILen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
