package ldp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/naamio/naamio/acl"
)

// maxSlugBytes caps the name taken from a Slug header.
const maxSlugBytes = 128

// post creates a new resource in a container (Solid Protocol
// server-post-container, server-post-container-create-resource,
// server-post-uri-assignment, server-post-target-not-found).
func (h *Handler) post(w http.ResponseWriter, r *http.Request, p string) error {
	ctx := r.Context()
	// Append on the container (Solid Protocol server-create-operation),
	// before its existence is revealed.
	if _, _, err := h.allow(r, need{p, acl.Append}); err != nil {
		return err
	}
	if !IsContainerPath(p) {
		// 404 or 405 tell whether p exists: only for those who may Read
		// it (issue 10 item 5).
		target, err := h.store.Stat(ctx, p)
		if err == nil {
			err = fmt.Errorf("%w: POST needs a container", errMethodNotAllowed)
		}
		if err = h.concealed(r, p, err); statusFor(err) == http.StatusMethodNotAllowed {
			h.setAllow(w, p, stateOf(target))
		}
		return err
	}
	// Exists, not Stat: a container's Stat derives its validator from
	// all its children.
	if ok, err := h.store.Exists(ctx, p); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: %s", ErrNotFound, p)
		}
		return h.concealed(r, p, err)
	}
	container := wantsContainer(r.Header.Values("Link"))
	name := sanitizeSlug(r.Header.Get("Slug"))
	child, err := h.freeName(r, p, name, container)
	if err != nil {
		return err
	}
	b, err := h.readBody(r, h.IRI(child), container)
	if err != nil {
		return err
	}
	if container {
		if err := h.checkServerManaged(b.graph, child); err != nil {
			return err
		}
	}
	committed, err := h.guard(r, child, b, nil)
	if err != nil {
		return err
	}
	rd, err := storeReader(b)
	if err != nil {
		return err
	}
	m, _, err := h.store.Put(ctx, PutRequest{
		Path:         child,
		ContentType:  b.contentType,
		RDF:          b.rdf || container,
		Body:         rd,
		SizeHint:     sizeHint(r, b),
		Precondition: mustNotExist,
		Origin:       originOf(r),
	})
	if errors.Is(err, ErrPreconditionFailed) {
		// Lost a race for a name that was free a moment ago.
		err = conflictf("the name %s was taken concurrently; try again", Name(child))
	}
	if err != nil {
		return err
	}
	if committed != nil {
		committed(m.ETag)
	}
	h.written(w, m, true, !b.rdf)
	return nil
}

func mustNotExist(cur *Meta) error {
	if cur != nil {
		return ErrPreconditionFailed
	}
	return nil
}

// freeName picks the new child's path: the slug when neither it nor its
// slash twin exists, else the slug with a random suffix.
func (h *Handler) freeName(r *http.Request, parent, name string, container bool) (string, error) {
	for range 8 {
		seg := EscapeSegment(name)
		p := parent + seg
		if container {
			p += "/"
		}
		if !h.loc.reserved(p) {
			free, err := h.free(r, p)
			if err != nil || free {
				return p, err
			}
		}
		name = strings.TrimSuffix(name, "-") + "-" + randomHex(4)
	}
	return "", fmt.Errorf("no free name in %s", parent)
}

func (h *Handler) free(r *http.Request, p string) (bool, error) {
	for _, q := range []string{p, Twin(p)} {
		_, err := h.store.Stat(r.Context(), q)
		if err == nil {
			return false, nil
		}
		if !isNotFound(err) {
			return false, err
		}
	}
	return true, nil
}

// wantsContainer reports whether the Link headers ask for a container
// (LDP §5.2.3.4: rel="type" ldp:BasicContainer or ldp:Container).
func wantsContainer(links []string) bool {
	for _, v := range links {
		for l := range strings.SplitSeq(v, ",") {
			target, params, ok := strings.Cut(l, ";")
			if !ok {
				continue
			}
			target = strings.Trim(strings.TrimSpace(target), "<>")
			if target != nsLDP+"BasicContainer" && target != nsLDP+"Container" {
				continue
			}
			for prm := range strings.SplitSeq(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(prm), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") && strings.Trim(strings.TrimSpace(v), `"`) == "type" {
					return true
				}
			}
		}
	}
	return false
}

// sanitizeSlug turns a Slug header into a safe segment name (SECURITY row
// 6): percent-decoded once, separators and control characters replaced,
// no leading dots (hidden or reserved names), never an auxiliary resource
// name, at most maxSlugBytes, and a random name when nothing is left.
func sanitizeSlug(slug string) string {
	if dec, err := url.PathUnescape(slug); err == nil {
		slug = dec
	}
	slug = strings.ToValidUTF8(slug, "")
	slug = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\':
			return '-'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, slug)
	slug = strings.TrimSpace(slug)
	for {
		s := strings.TrimLeft(slug, ".")
		s = strings.TrimSuffix(strings.TrimSuffix(s, aclSuffix), metaSuffix)
		if s == slug {
			break
		}
		slug = s
	}
	for len(slug) > maxSlugBytes {
		_, size := utf8.DecodeLastRuneInString(slug)
		slug = slug[:len(slug)-size]
	}
	if slug == "" {
		return randomHex(8)
	}
	return slug
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
