package op

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/naamio/naamio/internal/testissuer"
)

// dpopTransport adds a fresh DPoP proof to every request, as a Solid client
// library does at the token endpoint.
type dpopTransport struct {
	key *testissuer.Key
}

func (d dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c := r.Clone(r.Context())
	proof, err := d.key.Proof(r.Method, testissuer.HTU(r.URL), "", time.Now())
	if err != nil {
		return nil, err
	}
	c.Header.Set("DPoP", proof)
	return http.DefaultTransport.RoundTrip(c)
}

// TestStockOAuth2Client runs the code flow, PKCE and refresh with
// golang.org/x/oauth2, a client written without knowledge of this server.
func TestStockOAuth2Client(t *testing.T) {
	o := newTestOP(t, "", nil)
	reg := o.register(t, map[string]any{"redirect_uris": []string{testRedirect}, "token_endpoint_auth_method": "none",
		"grant_types": []string{"authorization_code", "refresh_token"}})
	conf := &oauth2.Config{
		ClientID:    reg["client_id"].(string),
		Endpoint:    oauth2.Endpoint{AuthURL: o.url(PathAuth), TokenURL: o.url(PathToken), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: testRedirect,
		Scopes:      []string{"openid", "webid", "offline_access"},
	}
	verifier := oauth2.GenerateVerifier()
	resp, err := o.hc.Get(conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n1")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	back, err := o.p.Complete(context.Background(), loc.Query().Get("id"), testWebID, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(back)
	if bu.Query().Get("iss") != o.srv.URL {
		t.Fatal("no iss")
	}
	key := newKey(t)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: dpopTransport{key: key}})
	tok, err := conf.Exchange(ctx, bu.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Type() != "DPoP" || tok.RefreshToken == "" || tok.Extra("id_token") == nil || tok.Expiry.IsZero() {
		t.Fatalf("token %+v", tok)
	}
	if !strings.Contains(tok.Extra("scope").(string), "webid") {
		t.Fatalf("scope %v", tok.Extra("scope"))
	}
	tok.Expiry = time.Now().Add(-time.Minute) // force a refresh
	tok2, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == tok.RefreshToken {
		t.Fatal("refresh did not rotate")
	}
}
