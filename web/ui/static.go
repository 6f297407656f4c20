package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// StaticPath is where the assets are served, under the base path.
const StaticPath = "/.web/static/"

//go:embed static
var staticFS embed.FS

type asset struct {
	body  []byte
	etag  string // quoted strong ETag: the content's SHA-256 (hex, 16 bytes)
	ctype string
}

var (
	assetsOnce sync.Once
	assets     map[string]*asset
)

// loadAssets hashes the embedded files once (they never change while the
// binary runs).
func loadAssets() map[string]*asset {
	assetsOnce.Do(func() {
		assets = map[string]*asset{}
		_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := staticFS.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			ct := mime.TypeByExtension(path.Ext(p))
			switch path.Ext(p) {
			case ".js", ".mjs":
				ct = "text/javascript; charset=utf-8"
			case ".css":
				ct = "text/css; charset=utf-8"
			}
			if ct == "" {
				ct = "application/octet-stream"
			}
			assets[strings.TrimPrefix(p, "static/")] = &asset{body: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, ctype: ct}
			return nil
		})
	})
	return assets
}

// assetVersion is the "?v=<hash>" suffix of an asset URL ("" for an
// unknown name).
func assetVersion(name string) string {
	a := loadAssets()[name]
	if a == nil {
		return ""
	}
	return "?v=" + strings.Trim(a.etag, `"`)[:12]
}

// Static serves the assets under <base>/.web/static/ (strip the base path
// before it). A URL carrying the current content hash (?v=, as Asset
// writes it) may be cached for a year; any other is revalidated with the
// ETag. ES modules import each other without the hash, so naamio.js is
// revalidated (a 304) at most once per page load.
func Static(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, StaticPath)
	a := loadAssets()[name]
	if !ok || a == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", a.etag)
	// Public files: the pages on a pod's own host load them from the base
	// host, module scripts in CORS mode.
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if v := r.URL.Query().Get("v"); v != "" && "?v="+v == assetVersion(name) {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	// ServeContent answers If-None-Match (304) and Range.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
