package ldp

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/rdf"
)

// StatusClientClosedRequest is the status recorded for a request whose
// client went away before it was answered (nginx's 499; not sent to
// anyone).
const StatusClientClosedRequest = 499

// statusFor is the one mapping from errors to HTTP statuses in this package.
func statusFor(err error) int {
	switch {
	case errors.Is(err, errUnauthorized), errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, errForbidden):
		return http.StatusForbidden
	case errors.Is(err, auth.ErrUnavailable), errors.Is(err, errBusy), errors.Is(err, errGuardFailed):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrBadPath), errors.Is(err, errBadRequest), errors.Is(err, rdf.ErrSyntax),
		errors.Is(err, rdf.ErrTooComplex):
		return http.StatusBadRequest
	case errors.Is(err, rdf.ErrInvalidPatch), errors.Is(err, errUnusableACL), errors.Is(err, ErrRefused):
		// Solid Protocol server-patch-n3-invalid.
		return http.StatusUnprocessableEntity
	case errors.Is(err, rdf.ErrPatchConflict):
		// Solid Protocol server-patch-n3-semantics-no-mapping and
		// -deletions-non-empty-all-triples.
		return http.StatusConflict
	case errors.Is(err, rdf.ErrNotImplemented):
		return http.StatusNotImplemented
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, errNotAcceptable):
		return http.StatusNotAcceptable
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrPreconditionFailed):
		return http.StatusPreconditionFailed
	case errors.Is(err, ErrNotModified):
		return http.StatusNotModified
	case errors.Is(err, ErrTooLarge), errors.Is(err, rdf.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errUnsupportedType), errors.Is(err, rdf.ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrInsufficientStorage), errors.Is(err, ErrQuotaExceeded):
		return http.StatusInsufficientStorage
	case errors.Is(err, ErrRangeNotSatisfiable):
		return http.StatusRequestedRangeNotSatisfiable
	case errors.Is(err, errClientBody):
		return clientBodyStatus(err)
	}
	return http.StatusInternalServerError
}

// clientBodyStatus answers a request whose body could not be read: 408 when
// it stalled past the idle deadline, 413 when it passed the size cap, else
// 400 (cut short, or the connection broke).
func clientBodyStatus(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// fail writes an error response. Client errors carry a one-line reason
// (Solid Protocol server-delete-protect-nonempty-container asks for a body
// describing the error); a 5xx logs the full error and tells the client
// only the status text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && errors.Is(r.Context().Err(), context.Canceled) {
		// The client went away (closed its connection, or its HTTP/2
		// stream) while the request waited: nobody reads an answer, and it
		// is not a server failure. The status is recorded as 499, the
		// "client closed request" of proxies' logs, so that the access log
		// and the metrics count it as the client's doing, not as a 5xx.
		// Whatever had not committed is not written.
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	code := statusFor(err)
	if code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	if code == http.StatusUnauthorized {
		// Solid-OIDC §"Resource Server"; RFC 9449 §7.1: the challenge names
		// the DPoP scheme, and the error when credentials were sent.
		var authErr error
		if !errors.Is(err, errUnauthorized) {
			authErr = err
		}
		w.Header().Set("WWW-Authenticate", auth.WWWAuthenticate(authErr))
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	msg := http.StatusText(code)
	if code >= 500 {
		h.problem(r.Context(), Problem{Kind: ProblemFailed, Method: r.Method, Path: r.URL.EscapedPath(), Status: code, Err: err})
	} else {
		msg = clientReason(err)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if wantsProblemJSON(r.Header.Get("Accept")) {
		writeProblemJSON(w, r, code, msg, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(msg + "\n"))
	}
}

// clientReason strips the package prefixes from an error chain's text.
func clientReason(err error) string {
	s := err.Error()
	s = strings.ReplaceAll(s, "ldp: ", "")
	s = strings.ReplaceAll(s, "rdf: ", "")
	if len(s) > 512 {
		s = s[:512]
	}
	return s
}
