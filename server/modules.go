package server

import (
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/naamio/naamio/idp"
	"github.com/naamio/naamio/internal/safehttp"
	"github.com/naamio/naamio/kv"
	"github.com/naamio/naamio/ldp/badgerstore"
	"github.com/naamio/naamio/modules"
)

// newModules builds the Wasm module host (modules/): its records in
// kv.Modules, compiled code cached in <data>/modules-cache (so a restart
// does not compile again), https binaries fetched through the SSRF-safe
// client, and each pod's owner from the pod registry (a module never gets
// more than its pod's owner holds). The LDP handler is built with its
// guard (ldp.Config.NewGuard = GuardFor).
func newModules(cfg Config, store *badgerstore.Store, pods *idp.Pods, log *slog.Logger) (*modules.Service, error) {
	records, err := store.KV(kv.Modules)
	if err != nil {
		return nil, err
	}
	fetch := safehttp.New(safehttp.Options{Timeout: 30 * time.Second, MaxBody: modules.MaxWasm + 1, AllowAddrPorts: cfg.AllowFetch,
		Observe: observeFetch(cfg)})
	return modules.New(modules.Config{
		Store:    store,
		Records:  records,
		CacheDir: filepath.Join(cfg.DataDir, "modules-cache"),
		Fetch:    fetch.HTTPClient(),
		PodOf:    podOf(pods, cfg.OwnerWebID),
		Log:      log.With("component", "modules"),
	})
}

// podOf maps a store path to its pod's root container and owner's WebID:
// a registered pod, or else the server's root storage when the server has
// an owner (--owner-webid: a single-person server installs its modules in
// /settings/modules/).
func podOf(pods *idp.Pods, rootOwner string) func(string) (string, string, bool) {
	return func(p string) (string, string, bool) {
		if name, _, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/"); ok && name != "" {
			if owner, ok := pods.OwnerWebID(name); ok {
				return "/" + name + "/", owner, true
			}
		}
		if rootOwner != "" {
			return "/", rootOwner, true
		}
		return "", "", false
	}
}

// resourceLinks joins the Link values each source gives a resource
// (ldp.Config.ResourceLinks).
func resourceLinks(sources ...func(iri string) string) func(string) string {
	return func(iri string) string {
		var parts []string
		for _, src := range sources {
			if l := src(iri); l != "" {
				parts = append(parts, l)
			}
		}
		return strings.Join(parts, ", ")
	}
}
