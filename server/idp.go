package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/accountapi"
	"github.com/naamio/naamio/idp/op"
	"github.com/naamio/naamio/internal/mail"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/web"
	"github.com/naamio/naamio/web/ui"
)

// identity is the server's identity provider: the account system and the
// Solid-OIDC OpenID Provider, whose issuer is the server's base URL.
type identity struct {
	accounts  *account.Service
	provision *idp.Provisioner
	op        *op.Provider
	api       http.Handler // the CSS-compatible account API under /.account/
	pages     *web.Handler // sign-up, log-in, consent and account pages under /.idp/
}

func newIdentity(ctx context.Context, cfg Config, store *badgerstore.Store, pods *idp.Pods, log *slog.Logger) (*identity, error) {
	akv, err := store.KV(kv.Accounts)
	if err != nil {
		return nil, err
	}
	tkv, err := store.KV(kv.Tokens)
	if err != nil {
		return nil, err
	}
	// Deleting an account or a client credential revokes its access
	// tokens at once (SECURITY.md row 59): the account service and the
	// provider share the provider's revocations, made first.
	revocations, err := op.NewRevocations(ctx, op.RevocationOptions{KV: tkv})
	if err != nil {
		return nil, err
	}
	mode := account.Registration(cfg.Registration)
	accounts, err := account.New(ctx, akv, account.Options{BaseURL: cfg.BaseURL, Registration: mode, FirstAccountAdmin: true,
		Revoker: revocations, SignupLimit: account.RateLimit{Failures: cfg.SignupsPerHour, Window: time.Hour}})
	if err != nil {
		return nil, err
	}
	provision, err := idp.NewProvisioner(idp.ProvisionerOptions{
		Store: store, Accounts: accounts, Pods: pods, BaseURL: cfg.BaseURL,
		Subdomain: cfg.PodLayout == "subdomain",
		// While the storage root has no ACL, the first administrator's
		// first pod makes its WebID the owner (Solid Protocol
		// server-root-container-acl).
		OnPodCreated: func(ctx context.Context, acct *account.Account, webID string) error {
			if !acct.Admin {
				return nil
			}
			return ensureRootACL(ctx, store, cfg.BaseURL, webID, log)
		},
	})
	if err != nil {
		return nil, err
	}
	var mailer web.Mailer
	if cfg.SMTPAddr != "" {
		m, err := mail.New(mail.Options{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUser, Password: cfg.SMTPPassword})
		if err != nil {
			return nil, err
		}
		mailer = m
	}
	// The OpenID Provider and its pages need each other: web.New builds
	// the provider around its pages.
	pages, err := web.New(web.Options{
		BaseURL: cfg.BaseURL, Accounts: accounts, Provision: provision, Registration: mode,
		Mailer: mailer, Logger: log.With("component", "web"),
		NewProvider: func(p web.Pages) (*op.Provider, error) {
			return op.New(ctx, op.Options{
				Issuer:      idp.IssuerOf(cfg.BaseURL),
				KV:          tkv,
				Revocations: revocations,
				Interaction: p.Interaction,
				Sessions:    p.Sessions,
				ErrorPage:   p.ErrorPage,
				Credentials: clientCredentials{accounts},
				Fetcher:     clientDocuments(cfg.AllowFetch, observeFetch(cfg)),
				// The pages' own client (web/ui), known without fetching.
				Builtin: [][]byte{ui.ClientDocument(cfg.BaseURL)},
				Logger:  log.With("component", "oidc"),
			})
		},
	})
	if err != nil {
		return nil, err
	}
	provider := pages.Provider()
	api, err := accountapi.New(accountapi.Options{
		BaseURL: cfg.BaseURL, Accounts: accounts, Provision: provision,
		Logger: log.With("component", "accountapi"),
	})
	if err != nil {
		return nil, err
	}
	return &identity{accounts: accounts, provision: provision, op: provider, api: api, pages: pages}, nil
}

// clientCredentials answers the client_credentials grant from the
// credentials an account created for one of its WebIDs.
type clientCredentials struct{ accounts *account.Service }

func (c clientCredentials) Check(ctx context.Context, id, secret string) (string, string, error) {
	webID, accountID, err := c.accounts.CheckClientCredentials(ctx, id, secret)
	if err != nil {
		return "", "", op.ErrInvalidCredentials
	}
	return webID, accountID, nil
}

// clientDocuments fetches Solid Client Identifier Documents through the
// SSRF-safe client, never following a redirect (the provider refuses any
// answer that is not for exactly the URL it asked).
func clientDocuments(allow []netip.AddrPort, observe func(string)) op.Fetcher {
	noRedirects := safehttp.New(safehttp.Options{MaxRedirects: -1, AllowAddrPorts: allow, Observe: observe})
	return op.FetcherFunc(func(ctx context.Context, u string) (*op.Fetched, error) {
		resp, err := noRedirects.Get(ctx, u, "application/ld+json, application/json;q=0.9")
		if err != nil {
			return nil, err
		}
		return &op.Fetched{StatusCode: resp.StatusCode, URL: resp.URL, Body: resp.Body}, nil
	})
}
