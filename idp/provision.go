package idp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/naamio/naamio/idp/account"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
)

// Provisioner creates and removes pods for accounts: the pod's documents
// (idp/pod), the account's record of it, and the registry entry.
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

// SubdomainPods makes every pod created from now on a subdomain pod
// (https://<name>.<base host>/) instead of a path under the base URL.
// Existing pods keep their layout: their IRIs are in their data.
func (p *Provisioner) SubdomainPods(on bool) { p.subdomain = on }

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

// OnPodCreated sets a function called after every pod CreatePod makes
// (the server uses it to make the first administrator the owner of the
// storage root). An error from it undoes the pod.
func (p *Provisioner) OnPodCreated(f func(ctx context.Context, acct *account.Account, webID string) error) {
	p.created = f
}

// NewProvisioner returns a Provisioner for the server at baseURL, whose
// pods name issuer as their WebIDs' solid:oidcIssuer.
func NewProvisioner(store ldp.Store, accounts *account.Service, pods *Pods, baseURL, issuer string) *Provisioner {
	return &Provisioner{store: store, accounts: accounts, pods: pods, base: baseURL, issuer: issuer}
}

// Pods is the registry.
func (p *Provisioner) Pods() *Pods { return p.pods }

// CreatePod makes pod name for the account and returns its WebID. If any
// step fails, what was made is removed again.
func (p *Provisioner) CreatePod(ctx context.Context, accountID, name string) (string, error) {
	acct, err := p.accounts.Get(ctx, accountID)
	if err != nil {
		return "", err
	}
	made, err := pod.Create(ctx, p.store, p.base, name, p.issuer, pod.CreateOptions{Layout: pod.LayoutFor(p.subdomain)})
	if err != nil {
		return "", err
	}
	if err = p.accounts.AddPod(ctx, accountID, name, made.WebID); err == nil {
		err = p.pods.Add(ctx, name, accountID, made.WebID, p.subdomain)
	}
	if err == nil && p.created != nil {
		err = p.created(ctx, acct, made.WebID)
	}
	if err != nil {
		_ = p.pods.Remove(context.WithoutCancel(ctx), name)
		_ = pod.Delete(context.WithoutCancel(ctx), p.store, p.base, name)
		return "", err
	}
	return made.WebID, nil
}

// DeleteAccount removes every pod the account owns, then the account. If a
// pod cannot be removed the account stays, so that the call can be repeated.
func (p *Provisioner) DeleteAccount(ctx context.Context, accountID string) error {
	acct, err := p.accounts.Get(ctx, accountID)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range acct.Pods {
		if err := pod.Delete(ctx, p.store, p.base, name); err != nil && !errors.Is(err, ldp.ErrNotFound) {
			errs = append(errs, fmt.Errorf("pod %s: %w", name, err))
			continue
		}
		if err := p.pods.Remove(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	_, err = p.accounts.Delete(ctx, accountID)
	return err
}

// IssuerOf is the OpenID issuer of a server: its base URL without the
// trailing slash.
func IssuerOf(baseURL string) string { return strings.TrimSuffix(baseURL, "/") }
