package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/accountapi"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/ldp/badgerstore"
)

// identity is the server's identity provider: the account system and the
// Solid-OIDC OpenID Provider, whose issuer is the server's base URL.
type identity struct {
	accounts  *account.Service
	provision *idp.Provisioner
	op        *op.Provider
	api       http.Handler // the CSS-compatible account API under /.account/
}

func issuerOf(baseURL string) string { return idp.IssuerOf(baseURL) }

func newIdentity(ctx context.Context, cfg Config, store *badgerstore.Store, pods *idp.Pods, log *slog.Logger) (*identity, error) {
	akv, err := store.KV("a")
	if err != nil {
		return nil, err
	}
	tkv, err := store.KV("t")
	if err != nil {
		return nil, err
	}
	accounts, err := account.New(ctx, akv, account.Options{BaseURL: cfg.BaseURL})
	if err != nil {
		return nil, err
	}
	provider, err := op.New(ctx, op.Options{
		Issuer:      issuerOf(cfg.BaseURL),
		KV:          tkv,
		Interaction: pagesPending{base: issuerOf(cfg.BaseURL)},
		Credentials: clientCredentials{accounts},
		Fetcher:     clientDocuments(cfg.AllowFetch),
		Logger:      log.With("component", "oidc"),
	})
	if err != nil {
		return nil, err
	}
	provision := idp.NewProvisioner(store, accounts, pods, cfg.BaseURL, issuerOf(cfg.BaseURL))
	api, err := accountapi.New(accountapi.Options{
		BaseURL: cfg.BaseURL, Accounts: accounts, Provision: provision,
		Logger: log.With("component", "accountapi"),
	})
	if err != nil {
		return nil, err
	}
	return &identity{accounts: accounts, provision: provision, op: provider, api: api}, nil
}

// clientCredentials answers the client_credentials grant from the
// credentials an account created for one of its WebIDs.
type clientCredentials struct{ accounts *account.Service }

func (c clientCredentials) Check(ctx context.Context, id, secret string) (string, error) {
	webID, _, err := c.accounts.CheckClientCredentials(ctx, id, secret)
	if err != nil {
		return "", op.ErrInvalidCredentials
	}
	return webID, nil
}

// clientDocuments fetches Solid Client Identifier Documents through the
// SSRF-safe client, never following a redirect (the provider refuses any
// answer that is not for exactly the URL it asked).
func clientDocuments(allow []netip.AddrPort) op.Fetcher {
	noRedirects := safehttp.New(safehttp.Options{MaxRedirects: -1, AllowAddrPorts: allow})
	return op.FetcherFunc(func(ctx context.Context, u string) (*op.Fetched, error) {
		resp, err := noRedirects.Get(ctx, u, "application/ld+json, application/json;q=0.9")
		if err != nil {
			return nil, err
		}
		return &op.Fetched{StatusCode: resp.StatusCode, URL: resp.URL, Body: resp.Body}, nil
	})
}

// pagesPending sends an interactive log-in to the account pages. They are
// not built yet (issue 5): until then the page answers 501 and only the
// client_credentials grant can obtain tokens.
type pagesPending struct{ base string }

func (p pagesPending) Begin(_ context.Context, pd *op.Pending) (string, error) {
	return p.base + loginPath + "?interaction=" + url.QueryEscape(pd.ID), nil
}

const loginPath = "/.idp/login"

func loginNotYet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotImplemented)
	_, _ = w.Write([]byte("Interactive log-in is not available yet: scripts can obtain tokens with client credentials.\n"))
}
