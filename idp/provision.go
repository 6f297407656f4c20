package idp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
)

// Provisioner creates and removes pods for accounts: the pod's documents
// (idp/pod), the account's record of it, and the registry entry. It is
// also the one place where signing up (an account and its first pod) is
// done and undone (SignUp).
type Provisioner struct {
	store    ldp.Store
	accounts *account.Service
	pods     *Pods
	base     string // public base URL
	issuer   string // this server's OpenID issuer
	created  func(ctx context.Context, acct *account.Account, webID string) error
	// subdomain: new pods get a host of their own (pod.SubdomainLayout).
	subdomain bool
}

// ProvisionerOptions configure NewProvisioner. Store, Accounts, Pods and
// BaseURL are required.
type ProvisionerOptions struct {
	Store    ldp.Store
	Accounts *account.Service
	Pods     *Pods
	// BaseURL is the server's public base URL.
	BaseURL string
	// Issuer is the OpenID issuer the pods' WebIDs name as their
	// solid:oidcIssuer ("": IssuerOf(BaseURL), this server).
	Issuer string
	// Subdomain makes every pod created a subdomain pod
	// (https://<name>.<base host>/) instead of a path under the base URL.
	// Existing pods keep their layout: their IRIs are in their data.
	Subdomain bool
	// OnPodCreated, if set, is called after every pod CreatePod makes (the
	// server uses it to make the first administrator the owner of the
	// storage root). An error from it undoes the pod.
	OnPodCreated func(ctx context.Context, acct *account.Account, webID string) error
}

// NewPodURL is the IRI a pod made now under name would get.
func (p *Provisioner) NewPodURL(name string) string {
	_, iri := pod.LayoutFor(p.subdomain).Root(strings.TrimSuffix(p.base, "/")+"/", name)
	return iri
}

// PodURL is the IRI of pod name's root container.
func (p *Provisioner) PodURL(name string) string {
	_, iri := p.pods.Layout(name).Root(strings.TrimSuffix(p.base, "/")+"/", name)
	return iri
}

// NewProvisioner returns the Provisioner opts describe.
func NewProvisioner(opts ProvisionerOptions) (*Provisioner, error) {
	if opts.Store == nil || opts.Accounts == nil || opts.Pods == nil || opts.BaseURL == "" {
		return nil, errors.New("idp: ProvisionerOptions.Store, Accounts, Pods and BaseURL are required")
	}
	if opts.Issuer == "" {
		opts.Issuer = IssuerOf(opts.BaseURL)
	}
	return &Provisioner{store: opts.Store, accounts: opts.Accounts, pods: opts.Pods, base: opts.BaseURL,
		issuer: opts.Issuer, created: opts.OnPodCreated, subdomain: opts.Subdomain}, nil
}

// Pods is the registry.
func (p *Provisioner) Pods() *Pods { return p.pods }

// CreatePod makes pod name for the account and returns its WebID. If any
// step fails, what was made is removed again. The name of a deleted pod is
// refused (ErrNameRetired, SECURITY.md row 57): its WebID may still be
// named in ACLs and must never change hands.
func (p *Provisioner) CreatePod(ctx context.Context, accountID, name string) (string, error) {
	if p.pods.Retired(name) {
		return "", fmt.Errorf("%w: %s", ErrNameRetired, name)
	}
	acct, err := p.accounts.Get(ctx, accountID)
	if err != nil {
		return "", err
	}
	made, err := pod.Create(ctx, p.store, p.base, name, p.issuer, pod.CreateOptions{Layout: pod.LayoutFor(p.subdomain)})
	if err != nil {
		return "", err
	}
	linked, added := false, false
	if err = p.accounts.AddPod(ctx, accountID, name, made.WebID); err == nil {
		linked = true
		if err = p.pods.Add(ctx, name, accountID, made.WebID, p.subdomain); err == nil {
			added = true
		}
	}
	if err == nil && p.created != nil {
		err = p.created(ctx, acct, made.WebID)
	}
	if err != nil {
		bg := context.WithoutCancel(ctx)
		if linked {
			// The account must not keep a WebID it never got.
			_ = p.accounts.RemovePod(bg, accountID, name, made.WebID)
		}
		if added {
			_ = p.pods.Remove(bg, name)
		}
		_ = pod.Delete(bg, p.store, p.base, name)
		return "", err
	}
	return made.WebID, nil
}

// DeleteAccount removes every pod the account owns, then the account. If a
// pod cannot be removed the account stays, so that the call can be repeated.
// The names of its pods stay reserved (Pods.Retire, SECURITY.md row 57).
// The account's access tokens stop working at once (account.Revoker).
func (p *Provisioner) DeleteAccount(ctx context.Context, accountID string) error {
	acct, err := p.accounts.Get(ctx, accountID)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range acct.Pods {
		if owner, ok := p.pods.Owner(name); ok && owner != accountID {
			continue // a stale entry of a failed creation: another account's pod
		}
		if err := pod.Delete(ctx, p.store, p.base, name); err != nil && !errors.Is(err, ldp.ErrNotFound) {
			errs = append(errs, fmt.Errorf("pod %s: %w", name, err))
			continue
		}
		if err := p.pods.Retire(ctx, name, accountID, p.webIDsIn(acct, name), time.Now()); err != nil && !errors.Is(err, ErrNotOwner) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	_, err = p.accounts.Delete(ctx, accountID)
	return err
}

// webIDsIn returns the account's WebIDs that are in pod name.
func (p *Provisioner) webIDsIn(acct *account.Account, name string) []string {
	root := p.PodURL(name)
	var out []string
	for _, w := range acct.WebIDs {
		if strings.HasPrefix(w, root) {
			out = append(out, w)
		}
	}
	return out
}

// Undo removes an account whose sign-up failed before it was handed out
// (its pod could not be made): its pods are removed without keeping their
// names, and the account as if it had never been created, including the
// first-account marker (account.Service.Undo), so that the next sign-up
// becomes the administrator when this one would have.
func (p *Provisioner) Undo(ctx context.Context, accountID string) error {
	acct, err := p.accounts.Get(ctx, accountID)
	if err != nil {
		return err
	}
	for _, name := range acct.Pods {
		if owner, ok := p.pods.Owner(name); ok && owner != accountID {
			continue
		}
		if err := pod.Delete(ctx, p.store, p.base, name); err != nil && !errors.Is(err, ldp.ErrNotFound) {
			return fmt.Errorf("pod %s: %w", name, err)
		}
		if _, ok := p.pods.Owner(name); ok {
			if err := p.pods.Remove(ctx, name); err != nil {
				return err
			}
		}
	}
	return p.accounts.Undo(ctx, accountID)
}

// IssuerOf is the OpenID issuer of a server: its base URL without the
// trailing slash.
func IssuerOf(baseURL string) string { return strings.TrimSuffix(baseURL, "/") }
