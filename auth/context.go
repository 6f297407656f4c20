package auth

import (
	"context"
	"net/http"
)

// Who is calling is decided once per request, by Middleware in the
// server's middleware chain, and travels in the request's context: ldp
// (and the packages that serve requests after it) read it with AgentFrom
// and never authenticate themselves.

type agentKey struct{}

// caller is what authentication established for a request: an agent, or
// the error that refused its credentials.
type caller struct {
	agent Agent
	err   error
}

// WithAgent returns ctx carrying a as the request's agent (the zero Agent:
// anonymous).
func WithAgent(ctx context.Context, a Agent) context.Context {
	return context.WithValue(ctx, agentKey{}, caller{agent: a})
}

// WithFailure returns ctx carrying the failure to authenticate the
// request: err matches ErrUnauthenticated (credentials refused) or
// ErrUnavailable (they cannot be checked now).
func WithFailure(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, agentKey{}, caller{err: err})
}

// AgentFrom returns the request's agent from ctx, or the error its
// authentication failed with (and the zero Agent). A context that no
// authentication ran on is anonymous. What a failure means is the
// reader's to decide: a resource request answers it (401 with
// WWWAuthenticate(err), or 503), while one that needs no authorization
// (OPTIONS) may serve the caller as anonymous.
func AgentFrom(ctx context.Context) (Agent, error) {
	c, _ := ctx.Value(agentKey{}).(caller)
	return c.agent, c.err
}

// Middleware authenticates every request once (Authenticate) and passes
// it on with the outcome in its context: the agent (WithAgent), or the
// failure (WithFailure). It never answers a request itself, so every
// handler after it keeps its own order of checks and its own answer to a
// failure.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ag, err := a.Authenticate(r.Context(), r)
		if err != nil {
			next.ServeHTTP(w, r.WithContext(WithFailure(r.Context(), err)))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithAgent(r.Context(), ag)))
	})
}
