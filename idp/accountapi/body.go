package accountapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxBody caps every request body: the largest real input (an email and a
// password of at most account.MaxPasswordBytes) is far smaller.
const maxBody = 64 << 10

// isJSONType reports whether a Content-Type names JSON (application/json
// or any application/*+json).
func isJSONType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// readBody reads the request body (at most maxBody bytes) and decodes it
// into into, which must point to a struct. An empty body is the empty
// object. A body with a Content-Type must be JSON (415 otherwise); a body
// without one is read as JSON, as the Community Solid Server does.
func readBody(w http.ResponseWriter, r *http.Request, into any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(http.StatusRequestEntityTooLarge, "The request body is too large.")
		}
		return fail(http.StatusBadRequest, "The request body could not be read.")
	}
	return decodeBody(b, r.Header.Get("Content-Type"), into)
}

// decodeBody is readBody's decoding, apart for fuzzing: exactly one JSON
// object, unknown fields ignored (the CSS API ignores them too), wrong
// field types refused with 400.
func decodeBody(b []byte, contentType string, into any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if contentType != "" && !isJSONType(contentType) {
		return fail(http.StatusUnsupportedMediaType, "The request body must be JSON (application/json).")
	}
	if len(b) > maxBody {
		return fail(http.StatusRequestEntityTooLarge, "The request body is too large.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return fail(http.StatusBadRequest, "The request body is not valid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail(http.StatusBadRequest, "The request body must hold exactly one JSON object.")
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return fail(http.StatusBadRequest, "The request body must be a JSON object.")
	}
	if err := json.Unmarshal(raw, into); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fail(http.StatusBadRequest, "Field "+typeErr.Field+" has the wrong type.")
		}
		return fail(http.StatusBadRequest, "The request body does not have the expected fields.")
	}
	return nil
}
