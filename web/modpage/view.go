package modpage

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/naamio/naamio/modules"
)

// maxLogShown is how many of a module's newest log lines the page shows.
const maxLogShown = 50

// view is what the modules page shows of a pod.
type view struct {
	Pod       string // the pod's name
	Root      string // its root container's IRI
	Container string // its module container's IRI
	PlanURL   string
	// CanFetch: binaries may be named by an https URL.
	CanFetch bool
	Modules  []moduleView
}

// moduleView is one manifest in the module container.
type moduleView struct {
	File  string // the manifest's file name
	Base  string // without ".json" (what the uninstall plan takes)
	IRI   string
	Agent string
	// Invalid is why the stored manifest could not be read (the module
	// then shows as failed, with the host's reason).
	Invalid  string
	Name     string
	Version  string
	Wasm     string
	Disabled bool
	Grants   []grantView
	Hosts    []string
	Config   []configEntry
	Limits   modules.Limits
	// Status from the module host (live counters and log).
	Installed   bool
	State       string
	StateClass  string // running, failed or other (the badge's colour)
	Error       string
	Calls       int64
	Failures    int64
	DeadLetters int64
	Log         []modules.LogLine // newest first
}

type configEntry struct{ Key, Value string }

// grantView is a Permission as the page words it.
type grantView struct{ Container, Modes, Why string }

// collect reads the pod's module container and each manifest in it as
// the person (ctx carries their WebID), and asks the module host for each
// module's live status.
func (h *Handler) collect(ctx context.Context, name, root string) (*view, error) {
	v := &view{Pod: name, Root: root, Container: moduleContainer(root), CanFetch: h.cfg.Fetch != nil}
	members, st, err := h.members(ctx, v.Container)
	if err != nil {
		return nil, err
	}
	if st != http.StatusOK && st != http.StatusNotFound {
		return nil, refuse(st, "reading %s answered %d", v.Container, st)
	}
	for _, iri := range members {
		file := strings.TrimPrefix(iri, v.Container)
		if !strings.HasSuffix(file, ".json") || strings.Contains(file, "/") {
			continue // the binaries and other documents beside the manifests
		}
		v.Modules = append(v.Modules, h.moduleView(ctx, iri, file))
	}
	return v, nil
}

func (h *Handler) moduleView(ctx context.Context, iri, file string) moduleView {
	base := strings.TrimSuffix(file, ".json")
	mv := moduleView{File: file, Base: base, IRI: iri, Agent: iri + "#module", Name: base}
	rep, err := h.get(ctx, iri, "application/json")
	switch {
	case err != nil:
		mv.Invalid = err.Error()
	case rep.Status != http.StatusOK:
		mv.Invalid = "reading it answered " + http.StatusText(rep.Status)
	default:
		m, err := modules.ParseManifest(rep.Body.Bytes(), iri)
		if err != nil {
			mv.Invalid = strings.TrimPrefix(err.Error(), modules.ErrInvalid.Error()+": ")
			break
		}
		mv.Name, mv.Version, mv.Wasm, mv.Disabled, mv.Limits = m.Name, m.Version, m.Wasm.URL, m.Disabled, m.Limits
		for _, p := range permissions(m) {
			mv.Grants = append(mv.Grants, grantView{p.Container, strings.Join(p.Modes, ", "), strings.Join(p.Why, "; ")})
		}
		mv.Hosts = m.AllowedHosts
		for k, val := range m.Config {
			mv.Config = append(mv.Config, configEntry{k, val})
		}
		slices.SortFunc(mv.Config, func(a, b configEntry) int { return strings.Compare(a.Key, b.Key) })
	}
	st, ok := h.cfg.Status(iri)
	if !ok {
		mv.State, mv.StateClass = "not installed", "failed"
		if mv.Invalid == "" {
			mv.Error = "the server is not running this manifest"
		}
		return mv
	}
	mv.Installed = true
	mv.StateClass = "other"
	if st.State == modules.StateRunning || st.State == modules.StateFailed {
		mv.StateClass = st.State
	}
	mv.State, mv.Error, mv.Calls, mv.Failures, mv.DeadLetters = st.State, st.Error, st.Calls, st.Failures, st.DeadLetters
	n := len(st.Log)
	for i := n - 1; i >= 0 && n-i <= maxLogShown; i-- {
		mv.Log = append(mv.Log, st.Log[i])
	}
	return mv
}
