package modpage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"

	"github.com/naamio/naamio/modules"
	"github.com/naamio/naamio/web/ui"
)

// Paths the server routes to the Handler.
const (
	PagePath = "/.web/modules"
	PlanPath = "/.web/api/modules/plan"
)

// Config is what the page needs from the server (server/web_modules.go).
type Config struct {
	// BaseURL is the server's public base URL (the page's links and the
	// layout).
	BaseURL string
	Log     *slog.Logger
	// Session returns the WebID of the request's log-in session (the
	// cookie of the account pages), for the page that only shows data.
	Session func(*http.Request) (webID string, ok bool)
	// LDP is the LDP handler: the page reads pod data by serving it
	// in-process requests as the person (AsUser), so WAC decides.
	LDP http.Handler
	// AsUser returns ctx carrying webID as the agent of an in-process
	// request (nil: ui.AsUser).
	AsUser func(ctx context.Context, webID string) context.Context
	// Pod returns the IRI of the root container of the pod called name
	// and its owner's WebID.
	Pod func(name string) (root, owner string, ok bool)
	// Status returns the live status of the module whose manifest is at
	// the IRI (modules.Service.Status).
	Status func(manifestIRI string) (modules.Status, bool)
	// Fetch is the SSRF-safe client binaries are fetched with (nil: the
	// page installs binaries uploaded into the pod only).
	Fetch *http.Client
}

// Handler serves the modules page and its plan endpoint.
type Handler struct {
	cfg   Config
	pages *ui.Set
}

// New returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Session == nil || cfg.LDP == nil || cfg.Pod == nil || cfg.Status == nil {
		return nil, errors.New("modpage: Session, LDP, Pod and Status are required")
	}
	if cfg.AsUser == nil {
		cfg.AsUser = ui.AsUser
	}
	pages, err := ui.Parse(cfg.BaseURL, cfg.Log, templates, "templates", "modules")
	if err != nil {
		return nil, fmt.Errorf("modpage: %w", err)
	}
	return &Handler{cfg: cfg, pages: pages}, nil
}

// podName is a pod name as the page accepts it in ?pod= (the registry's
// names are a subset).
var podName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ownedPod resolves ?pod= for webID: the pod's root, when webID owns it.
// The answer is the same for a pod that does not exist and one owned by
// someone else (404), so the page tells nobody which pods exist.
func (h *Handler) ownedPod(name, webID string) (root string, status int) {
	if !podName.MatchString(name) {
		return "", http.StatusNotFound
	}
	root, owner, ok := h.cfg.Pod(name)
	if !ok || owner == "" || owner != webID {
		return "", http.StatusNotFound
	}
	return root, http.StatusOK
}

// moduleContainer is the pod's module container (modules.ContainerName).
func moduleContainer(root string) string { return root + modules.ContainerName }

func sortStrings(s []string) { slices.Sort(s) }
