package federation

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/naamio/naamio/federation/deliver"
	"github.com/naamio/naamio/federation/httpsig"
	"github.com/naamio/naamio/federation/remote"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp"
)

// Pods is what federation needs of the pod registry (idp.Pods).
type Pods interface {
	// OwnerWebID returns the WebID pod name was made for, if it exists.
	OwnerWebID(name string) (string, bool)
	// Retired reports a deleted pod whose name stays reserved.
	Retired(name string) bool
	// Count is the number of pods.
	Count() int
}

// Software names the server in NodeInfo.
type Software struct {
	Name, Version, Repository, Homepage string
}

// Config is what the federation endpoints are built from.
type Config struct {
	Paths   *Paths
	Locator *ldp.Locator // maps a local WebID to its profile document
	Store   ldp.Store    // where WebID profiles are read
	Pods    Pods
	Keys    Keys
	Records kv.KV // the kv.Federation namespace (actor settings)
	// Relations is the pods' social graph (followers, following, blocks),
	// kept in Records.
	Relations *Relations
	// Deliver queues outgoing activities (send); nil in tests that send
	// nothing.
	Deliver *deliver.Deliverer
	// Verifier checks the HTTP Signatures of incoming activities.
	Verifier *httpsig.Verifier
	// Fetch fetches remote AS2 documents (actors, objects) through the
	// SSRF-safe client.
	Fetch *remote.Fetcher
	// InboxRate and InboxBurst bound the activities one domain may POST
	// to the inboxes (per second, and at once); 0 means DefaultInboxRate
	// and DefaultInboxBurst.
	InboxRate  float64
	InboxBurst int
	// Software and OpenRegistrations are reported in NodeInfo.
	Software          Software
	OpenRegistrations bool
	// LocalPosts and ActiveUsers, when set, give NodeInfo's usage counts
	// (usage.localPosts; usage.users.activeMonth and activeHalfyear);
	// unset, those members are left out rather than guessed.
	LocalPosts  func() (int, bool)
	ActiveUsers func() (month, halfyear int, ok bool)
	Log         *slog.Logger
	// Agent returns the WebID of the request's authenticated agent ("" for
	// none), or the error its credentials were refused with (the server
	// passes auth.AgentFrom): the outbox's C2S POST is the owner's only.
	Agent func(*http.Request) (string, error)
	// ProfileQuiet is how long the profile consumer waits after the last
	// write of a WebID profile before it sends an Update of the actor (0:
	// DefaultProfileQuiet).
	ProfileQuiet time.Duration
}

// Service serves the actor documents and discovery (WebFinger, NodeInfo,
// host-meta).
type Service struct {
	cfg Config
	log *slog.Logger
	// limiter bounds each domain's rate of inbox POSTs (inbox.go).
	limiter *domainLimiter
	// access decides who may read an inbox as a collection (SetAccess).
	access Access
	// indexes groups the inbox's index writes (groupcommit.go).
	indexes *groupCommit
	// outboxLocks holds a *sync.Mutex per pod: one C2S POST of a pod at a
	// time (an Undo or Update reads what earlier ones stored; a slow
	// fetch of one owner's Follow target holds no other pod).
	outboxLocks sync.Map
	// actorLocks holds a *sync.Mutex per pod: one Update of its actor at
	// a time (profilefeed.go).
	actorLocks sync.Map
	// lastID is the time of the last activity id (outbox.go).
	lastID atomic.Int64
	// posts and active cache NodeInfo's usage counts (localposts.go).
	posts  postCount
	active activeCount
}

// New checks cfg and returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Paths == nil || cfg.Locator == nil || cfg.Store == nil || cfg.Pods == nil || cfg.Keys == nil || cfg.Records == nil {
		return nil, fmt.Errorf("federation: incomplete Config")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Relations == nil {
		cfg.Relations = NewRelations(cfg.Records)
	}
	rate, burst := cfg.InboxRate, cfg.InboxBurst
	if rate <= 0 {
		rate = DefaultInboxRate
	}
	if burst <= 0 {
		burst = DefaultInboxBurst
	}
	s := &Service{cfg: cfg, log: cfg.Log, limiter: newDomainLimiter(rate, burst, maxLimiterDomains),
		indexes: &groupCommit{kv: cfg.Records}}
	if s.cfg.LocalPosts == nil {
		s.cfg.LocalPosts = s.localPosts
	}
	if s.cfg.ActiveUsers == nil {
		s.cfg.ActiveUsers = s.activeUsers
	}
	return s, nil
}

// Paths is the service's URL layout.
func (s *Service) Paths() *Paths { return s.cfg.Paths }

// Keys are the pods' signing keys (what outgoing requests of pod are
// signed with: Keys.Key(ctx, pod).Private, key id Paths.KeyID(pod)).
func (s *Service) Keys() Keys { return s.cfg.Keys }

// Errors of the federation endpoints; statusFor maps them to statuses.
var (
	errNotFound      = errors.New("not found")
	errGone          = errors.New("gone")
	errBadRequest    = errors.New("bad request")
	errNotAcceptable = errors.New("not acceptable")
	errMethod        = errors.New("method not allowed")
)

// statusFor is the one error-to-status mapping of this package.
func statusFor(err error) int {
	switch {
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	case errors.Is(err, errGone):
		return http.StatusGone
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errNotAcceptable):
		return http.StatusNotAcceptable
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errForbidden):
		return http.StatusForbidden
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errTooMany):
		return http.StatusTooManyRequests
	case errors.Is(err, errUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, errUnprocessable):
		return http.StatusUnprocessableEntity
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// fail answers err: a 4xx with its text, a 5xx logged in full and told
// only as the status text.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusFor(err)
	msg := err.Error()
	if code >= 500 {
		s.log.ErrorContext(r.Context(), "federation request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = http.StatusText(code)
	}
	if code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, code)
}

// onlyRead refuses every method but GET and HEAD.
func onlyRead(r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return fmt.Errorf("%w: %s", errMethod, r.Method)
	}
	return nil
}
