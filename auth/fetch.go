package auth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/naamio/naamio/internal/safehttp"
)

// Outbound fetches (WebID profiles, discovery documents, JWKS) are where a
// request's credentials make the server wait on someone else's host. So
// that a slow host delays no one but the requests that name it (issue 10
// item 9, SECURITY row 61):
//   - at most MaxFetchesPerHost run at once per remote host, at most
//     MaxFetchesPerClient per client address, at most MaxConcurrentFetches
//     in all; when a limit is reached the request fails at once with
//     ErrUnavailable (503), it never queues behind the slow fetches;
//   - concurrent requests for one URL share one fetch;
//   - a failed fetch is remembered for FailureTTL: the URL, and for a
//     network failure or timeout its whole host, fail at once meanwhile.
//
// The server's own documents (AuthOptions.Local) are read in-process and
// are not limited.

// Defaults for the fetch limits (AuthOptions).
const (
	DefaultMaxFetchesPerHost   = 8
	DefaultMaxFetchesPerClient = 8
	DefaultFailureTTL          = 10 * time.Second
)

// fetchLimiter counts fetches in progress, in all, per host and per client.
type fetchLimiter struct {
	mu                      sync.Mutex
	global, perHost, perCli int
	n                       int
	hosts, clients          map[string]int
}

func newFetchLimiter(global, perHost, perClient int) *fetchLimiter {
	return &fetchLimiter{global: global, perHost: perHost, perCli: perClient,
		hosts: map[string]int{}, clients: map[string]int{}}
}

// acquire takes a slot for host and client, or returns the fixed reason it
// cannot.
func (l *fetchLimiter) acquire(host, client string) (release func(), busy string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.hosts[host] >= l.perHost:
		return nil, "too many fetches from this host in progress"
	case client != "" && l.clients[client] >= l.perCli:
		return nil, "too many fetches for this client in progress"
	case l.n >= l.global:
		return nil, "too many fetches in progress"
	}
	l.n++
	l.hosts[host]++
	if client != "" {
		l.clients[client]++
	}
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.n--
		if l.hosts[host]--; l.hosts[host] == 0 {
			delete(l.hosts, host)
		}
		if client != "" {
			if l.clients[client]--; l.clients[client] == 0 {
				delete(l.clients, client)
			}
		}
	}, ""
}

// flight is one fetch that concurrent requests for the same URL share.
type flight struct {
	done chan struct{}
	resp *safehttp.Response
	err  error
}

type clientKey struct{}

// withClient records the address of the request's client for the
// per-client fetch limit.
func withClient(ctx context.Context, r *http.Request) context.Context {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return context.WithValue(ctx, clientKey{}, host)
}

func clientOf(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}

// fetch GETs u (in-process for the server's own URLs, else through the safe
// client within the limits above) and classifies failures: refused
// destination, oversized body, too many redirects or a 4xx status →
// ErrUnauthenticated; network failure, timeout, 5xx or 429, or a limit
// reached → ErrUnavailable. what names the document in the fixed reason.
func (a *Authenticator) fetch(ctx context.Context, u, accept, what string) (*safehttp.Response, error) {
	if a.isLocal(u) {
		resp, err := a.fetchLocal(ctx, u, accept)
		return classify(resp, err, what)
	}
	host := hostOf(u)
	now := a.now()
	if err, ok := a.failed.get("u "+u, now); ok {
		return nil, err
	}
	if err, ok := a.failed.get("h "+host, now); ok {
		return nil, err
	}
	key := accept + " " + u
	a.flightsMu.Lock()
	f, joined := a.flights[key]
	if !joined {
		release, busy := a.limit.acquire(host, clientOf(ctx))
		if busy != "" {
			a.flightsMu.Unlock()
			return nil, unavailable(what+": "+busy, nil)
		}
		f = &flight{done: make(chan struct{})}
		a.flights[key] = f
		// The fetch is shared: it is not cancelled with the request that
		// started it (the client's own timeout bounds it).
		go a.fly(context.WithoutCancel(ctx), f, key, u, accept, what, host, release)
	}
	a.flightsMu.Unlock()
	select {
	case <-f.done:
		return f.resp, f.err
	case <-ctx.Done():
		return nil, unavailable(what+": fetch abandoned", ctx.Err())
	}
}

func (a *Authenticator) fly(ctx context.Context, f *flight, key, u, accept, what, host string, release func()) {
	resp, err := a.client.Get(ctx, u, accept)
	release()
	f.resp, f.err = classify(resp, err, what)
	if f.err != nil {
		exp := a.now().Add(a.failTTL)
		a.failed.put("u "+u, f.err, exp, a.now())
		if err != nil && !safehttp.IsRefused(err) && !errors.Is(f.err, ErrUnauthenticated) {
			// The host did not answer (network failure, timeout): every
			// URL on it fails at once for a while.
			a.failed.put("h "+host, f.err, exp, a.now())
		}
	}
	a.flightsMu.Lock()
	delete(a.flights, key)
	a.flightsMu.Unlock()
	close(f.done)
}

func classify(resp *safehttp.Response, err error, what string) (*safehttp.Response, error) {
	if err != nil {
		switch {
		case safehttp.IsRefused(err):
			return nil, unauthReason(what+": destination refused", err)
		case errors.Is(err, safehttp.ErrTooLarge):
			return nil, unauthReason(what+": too large", err)
		case errors.Is(err, safehttp.ErrTooManyRedirects):
			return nil, unauthReason(what+": too many redirects", err)
		}
		return nil, unavailable(what+": fetch failed", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, unavailable(what+": server error", nil)
	default:
		return nil, unauthReason(what+": unexpected status", nil)
	}
}

// hostOf is the limit key of u: its scheme and host (with port), lower case.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return strings.ToLower(p.Scheme + "://" + p.Host)
}

// checkFetchable refuses, before any fetch, a URL the server must not fetch:
// not https (http only when the client allows it), user info, no host, or an
// IP-literal host that safehttp.IsPublic rejects. Loopback literals are left
// to the client, which refuses them at dial time (nothing is sent) unless it
// was built with AllowLoopback. issuer additionally forbids query and
// fragment (OpenID Connect Discovery §2). It returns a fixed reason or "".
func (a *Authenticator) checkFetchable(raw string, issuer bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "is not a fetchable URL"
	}
	if issuer && (u.RawQuery != "" || u.Fragment != "" || u.ForceQuery) {
		return "has a query or fragment"
	}
	if a.isLocal(raw) {
		return ""
	}
	if !a.client.Permits(raw) {
		return "is not an https URL of a public host"
	}
	return ""
}
