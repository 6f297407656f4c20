package fedpage

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/federation"
)

// resolveTimeout bounds one handle lookup (WebFinger, then the actor).
const resolveTimeout = 15 * time.Second

// maxHandleParam bounds the handle parameter before it is parsed.
const maxHandleParam = 512

// API serves the JSON endpoints under <base>/.web/api/fediverse/ (strip
// the base path before it):
//
//	GET resolve?pod=<name>&handle=<@user@host or actor IRI>
//	    → 200 federation.RemoteActor
//	GET pending?pod=<name>
//	    → 200 {"pending":[{"actor","followId","since"}]}
//	GET settings?pod=<name>, POST settings?pod=<name> {"locked": bool}
//	    → 200 {"locked": bool} (manuallyApprovesFollowers)
//
// Both are for the pod's owner only, authenticated by the server's
// Solid-OIDC middleware (a DPoP-bound token: auth.AgentFrom), never by
// the session cookie: 401 with a DPoP challenge without credentials, 403
// for anyone else, 404 for an unknown pod, 400 for a bad parameter, 404
// or 502 when the handle cannot be found or its server asked. Errors are
// {"error": "<text>"}.
func (h *Handler) API() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		name, ok := strings.CutPrefix(r.URL.Path, APIPrefix)
		if !ok || (name != "resolve" && name != "pending" && name != "settings") {
			apiError(w, http.StatusNotFound, "no such endpoint")
			return
		}
		allow := "GET"
		if name == "settings" {
			allow = "GET, POST"
		}
		if r.Method != http.MethodGet && !(name == "settings" && r.Method == http.MethodPost) {
			w.Header().Set("Allow", allow)
			apiError(w, http.StatusMethodNotAllowed, allow+" only")
			return
		}
		a, err := auth.AgentFrom(r.Context())
		if err != nil || a.WebID == "" {
			w.Header().Set("WWW-Authenticate", `DPoP algs="ES256 PS256 RS256"`)
			apiError(w, http.StatusUnauthorized, "this endpoint needs the pod owner's Solid-OIDC (DPoP) credentials")
			return
		}
		q := r.URL.Query()
		pod := q.Get("pod")
		owner, ok := h.fed.OwnerWebID(pod)
		if !ok || len(pod) > 63 {
			apiError(w, http.StatusNotFound, "no such pod")
			return
		}
		if a.WebID != owner {
			apiError(w, http.StatusForbidden, "only the pod's owner may use this")
			return
		}
		switch name {
		case "resolve":
			h.resolve(w, r, q.Get("handle"))
		case "pending":
			h.pending(w, r, pod)
		case "settings":
			h.settings(w, r, pod)
		}
	})
}

func (h *Handler) resolve(w http.ResponseWriter, r *http.Request, handle string) {
	if handle == "" || len(handle) > maxHandleParam {
		apiError(w, http.StatusBadRequest, "handle: @name@host or an actor's address")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), resolveTimeout)
	defer cancel()
	ra, err := h.fed.Resolve(ctx, handle)
	if err != nil {
		code := fedStatus(err)
		if code >= 500 {
			h.log.WarnContext(r.Context(), "fediverse: resolving a handle failed", "err", err)
			apiError(w, http.StatusBadGateway, "the other server could not be asked now; try again later")
			return
		}
		apiError(w, code, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ra)
}

// fedStatus is the federation package's status of err.
func fedStatus(err error) int {
	code := federation.HTTPStatus(err)
	if code == http.StatusServiceUnavailable || code == http.StatusInternalServerError {
		return http.StatusBadGateway
	}
	return code
}

type pendingJSON struct {
	Actor    string    `json:"actor"`
	FollowID string    `json:"followId"`
	Since    time.Time `json:"since"`
}

func (h *Handler) pending(w http.ResponseWriter, r *http.Request, pod string) {
	ps, _, err := h.fed.Relations().ListPending(r.Context(), pod, "", 1000)
	if err != nil {
		h.log.ErrorContext(r.Context(), "fediverse: pending requests", "err", err)
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	out := make([]pendingJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, pendingJSON{Actor: p.Actor, FollowID: p.FollowID, Since: p.Since})
	}
	writeJSON(w, http.StatusOK, map[string]any{"pending": out})
}

// maxSettingsBody bounds a settings POST.
const maxSettingsBody = 1024

// settingsJSON is what the page may change of the actor's settings.
type settingsJSON struct {
	Locked bool `json:"locked"`
}

// settings answers GET with the pod's settings and, on a POST of
// {"locked": true|false} (application/json), changes them.
func (h *Handler) settings(w http.ResponseWriter, r *http.Request, pod string) {
	ctx := r.Context()
	set, err := h.fed.PodSettings(ctx, pod)
	if err != nil {
		h.log.ErrorContext(ctx, "fediverse: settings", "err", err)
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	if r.Method == http.MethodPost {
		if mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/json" {
			apiError(w, http.StatusUnsupportedMediaType, "post application/json")
			return
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, maxSettingsBody+1))
		dec.DisallowUnknownFields()
		var in struct {
			Locked *bool `json:"locked"`
		}
		if err := dec.Decode(&in); err != nil || in.Locked == nil || dec.More() {
			apiError(w, http.StatusBadRequest, `the body is {"locked": true} or {"locked": false}`)
			return
		}
		set.Locked = *in.Locked
		if err := h.fed.SetPodSettings(ctx, pod, set); err != nil {
			h.log.ErrorContext(ctx, "fediverse: saving settings", "err", err)
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
	}
	writeJSON(w, http.StatusOK, settingsJSON{Locked: set.Locked})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
