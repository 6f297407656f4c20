package server

import (
	"archive/zip"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/naamio/naamio/acl"
	"github.com/naamio/naamio/idp/pod"
	"github.com/naamio/naamio/ldp"
)

// ExportZipPath is the owner's download of their pod as a zip (issue 16
// item 3), linked from the account page: GET /.web/export?pod=NAME.
//
// It is authenticated by the page session (the cookie), which the brief
// of issue 15 allows only for what cannot become a side door for
// scripts. This endpoint is not one:
//   - it only reads, and only the session owner's own pod: the pod named
//     must be registered to the session's WebID (anything else is 404);
//   - it answers only a top-level navigation made by the person: with
//     Sec-Fetch-* headers present, Sec-Fetch-Mode must be navigate,
//     Sec-Fetch-Dest document and Sec-Fetch-Site same-origin or none, so
//     a script's fetch() (cors, same-origin, no-cors), an <iframe>, an
//     <img> or another site's link get 403. A navigation's response is a
//     download (Content-Disposition: attachment) that no page can read;
//   - the session cookie is SameSite=Lax and HttpOnly, so no cross-site
//     subrequest carries it in the first place;
//   - within the pod, the zip holds what the owner may read by WAC
//     (Read on a resource and its .meta, Control for its .acl), decided
//     by the server's resolver for the owner's WebID.
//
// Solid apps that want the data use the Solid API with DPoP as always.
const ExportZipPath = "/.web/export"

func (s *Server) serveExportZip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !topLevelNavigation(r) {
		http.Error(w, "this download is only served to a link followed in the browser", http.StatusForbidden)
		return
	}
	webID, ok := s.id.pages.SessionWebID(r)
	if !ok {
		http.Error(w, "log in to download your pod", http.StatusUnauthorized)
		return
	}
	name := r.URL.Query().Get("pod")
	owner, owned := s.pods.OwnerWebID(name)
	if pod.ValidName(name) != nil || !owned || owner != webID || s.pods.Retired(name) {
		http.NotFound(w, r)
		return
	}
	loc := s.ldp.Locator()
	resolver, err := ldp.NewACLResolver(s.store, loc, 0)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	agent := acl.Agent{WebID: webID, Authenticated: true}
	may := func(ctx context.Context, p string) bool {
		kind, subject := ldp.Auxiliary(p)
		if kind == ldp.NotAux {
			subject = p
		}
		user, _, err := resolver.Decide(ctx, subject, agent, nil)
		if err != nil {
			return false
		}
		if kind == ldp.AuxACL {
			return user.Has(acl.Control)
		}
		return user.Has(acl.Read)
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.zip"`)
	zw := zip.NewWriter(w)
	e := &exporter{st: s.store, out: zipArchive{zw}, root: "/" + name + "/", may: may,
		modTime: time.Now().UTC().Truncate(time.Second), progress: &progress{w: io.Discard, now: time.Now}}
	if err := e.container(r.Context(), e.root); err != nil {
		// The status is sent: the zip stays without its directory, which
		// every unzip reports as broken.
		s.log.WarnContext(r.Context(), "pod download failed", "pod", name, "err", err)
		return
	}
	if err := zw.Close(); err != nil {
		s.log.WarnContext(r.Context(), "pod download failed", "pod", name, "err", err)
	}
}

// topLevelNavigation: a request the browser made for a link the person
// followed (no Sec-Fetch-* headers at all: an old browser or a tool).
func topLevelNavigation(r *http.Request) bool {
	mode, dest, site := r.Header.Get("Sec-Fetch-Mode"), r.Header.Get("Sec-Fetch-Dest"), r.Header.Get("Sec-Fetch-Site")
	if mode == "" && dest == "" && site == "" {
		return true
	}
	return mode == "navigate" && dest == "document" && (site == "same-origin" || site == "none")
}

// zipArchive writes the export layout into a zip; the exact content type
// is each entry's comment.
type zipArchive struct{ zw *zip.Writer }

func (a zipArchive) dir(name, _ string, mod time.Time) error {
	if name == "./" {
		return nil
	}
	_, err := a.zw.CreateHeader(&zip.FileHeader{Name: strings.TrimSuffix(name, "/") + "/", Modified: mod})
	return err
}

func (a zipArchive) file(name, ct string, m ldp.Meta, body io.Reader) error {
	f, err := a.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: m.Modified.UTC(), Comment: ct})
	if err != nil {
		return err
	}
	_, err = io.Copy(f, body)
	return err
}
