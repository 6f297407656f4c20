package modpage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/naamio/naamio/modules"
)

// fetchTimeout bounds the download of a binary (as the module host does).
const fetchTimeout = 30 * time.Second

// fetchWasm downloads a binary named by an https URL through the
// SSRF-safe client (no private or loopback addresses unless the operator
// allowed them with --allow-fetch-addr), at most modules.MaxWasm bytes,
// and checks its SHA-256 (SECURITY rows 49 and 50: refused before the
// owner is even asked). It returns the binary's size.
func (h *Handler) fetchWasm(ctx context.Context, raw, sum string) (int, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm.url: a binary from another server must be fetched over https")
	}
	if h.cfg.Fetch == nil {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm.url: this server installs binaries from its pods only; upload the .wasm")
	}
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm.url: %q is not a usable URL", raw)
	}
	resp, err := h.cfg.Fetch.Do(req)
	if err != nil {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm.url: fetching %s failed: %s", raw, reason(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm.url: fetching %s answered %d", raw, resp.StatusCode)
	}
	hash := sha256.New()
	n, err := io.Copy(hash, io.LimitReader(resp.Body, modules.MaxWasm+1))
	if n > modules.MaxWasm {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm: the module is larger than %d MiB", modules.MaxWasm>>20)
	}
	if err != nil {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm.url: fetching %s failed: %s", raw, reason(err))
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != sum {
		return 0, refuse(http.StatusUnprocessableEntity, "wasm.sha256: the binary at %s has the SHA-256 %s, not the one the manifest names", raw, got)
	}
	return int(n), nil
}

// reason words a fetch error without the Go request dump.
func reason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
