package modules

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/naamio/naamio/ldp"
)

// fetchTimeout bounds the download of a module's binary.
const fetchTimeout = 30 * time.Second

// fetchWasm gets the binary a manifest names, for its installer: a
// resource in the same pod, read through the LDP handler with the
// installer's own rights (the installer must be able to read it), or an
// https URL fetched through the SSRF-safe client.
func (s *Service) fetchWasm(ctx context.Context, w ldp.Proposal, m *Manifest, root string) ([]byte, error) {
	if p, ok := s.ldp.Locator().PathOf(m.Wasm.URL); ok {
		if !strings.HasPrefix(p, root) {
			return nil, invalid("wasm.url", "a binary on this server must be in the same pod as the manifest")
		}
		r, err := http.NewRequestWithContext(w.AsWriter(ctx), http.MethodGet, m.Wasm.URL, nil)
		if err != nil {
			return nil, invalid("wasm.url", "%v", err)
		}
		if w.Agent.Origin != "" {
			r.Header.Set("Origin", w.Agent.Origin)
		}
		rec := newRecorder(MaxWasm)
		s.ldp.ServeHTTP(rec, r)
		switch {
		case rec.status == http.StatusUnauthorized || rec.status == http.StatusForbidden || rec.status == http.StatusNotFound:
			return nil, invalid("wasm.url", "%s cannot be read by you (%d); upload it first, or grant yourself Read", m.Wasm.URL, rec.status)
		case rec.status != http.StatusOK:
			return nil, invalid("wasm.url", "reading %s answered %d", m.Wasm.URL, rec.status)
		case rec.overflow:
			return nil, invalid("wasm", "the module is larger than %d MiB", MaxWasm>>20)
		}
		return rec.body.Bytes(), nil
	}
	if !strings.HasPrefix(m.Wasm.URL, "https://") {
		return nil, invalid("wasm.url", "a binary from another server must be fetched over https")
	}
	if s.cfg.Fetch == nil {
		return nil, invalid("wasm.url", "this server installs binaries from its pods only; upload the .wasm beside the manifest")
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, m.Wasm.URL, nil)
	if err != nil {
		return nil, invalid("wasm.url", "%v", err)
	}
	resp, err := s.cfg.Fetch.Do(r)
	if err != nil {
		return nil, invalid("wasm.url", "fetching %s failed: %v", m.Wasm.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, invalid("wasm.url", "fetching %s answered %d", m.Wasm.URL, resp.StatusCode)
	}
	bin, err := io.ReadAll(io.LimitReader(resp.Body, MaxWasm+1))
	if err != nil {
		return nil, invalid("wasm.url", "fetching %s failed: %v", m.Wasm.URL, err)
	}
	if len(bin) > MaxWasm {
		return nil, invalid("wasm", "the module is larger than %d MiB", MaxWasm>>20)
	}
	return bin, nil
}

// storedWasm reads a binary in the pod straight from the store (the
// change-log path, for a manifest that was checked when it was written).
func (s *Service) storedWasm(ctx context.Context, m *Manifest, root string) ([]byte, error) {
	p, ok := s.ldp.Locator().PathOf(m.Wasm.URL)
	if !ok || !strings.HasPrefix(p, root) {
		return nil, fmt.Errorf("%w: wasm.url: not in the pod", ErrInvalid)
	}
	meta, body, err := s.cfg.Store.Open(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%w: wasm.url: %v", ErrInvalid, err)
	}
	defer body.Close()
	if meta.Size > MaxWasm {
		return nil, invalid("wasm", "the module is larger than %d MiB", MaxWasm>>20)
	}
	return io.ReadAll(io.LimitReader(body, MaxWasm+1))
}
