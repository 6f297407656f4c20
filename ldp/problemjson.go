package ldp

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/naamio/naamio/rdf"
)

// mediaProblemJSON is RFC 9457's problem document type.
const mediaProblemJSON = "application/problem+json"

// problemDoc is an RFC 9457 problem document. Line and Column (extension
// members) name the place in the request body an RDF parse error concerns,
// so an editor can mark the line (issue 15 item 1).
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// maxAcceptParts bounds the media ranges of an Accept header looked at
// for a problem document.
const maxAcceptParts = 32

// wantsProblemJSON reports whether an Accept header names
// application/problem+json with a non-zero quality. Errors are otherwise
// answered as one line of text, as before.
func wantsProblemJSON(accept string) bool {
	if !strings.Contains(accept, mediaProblemJSON) {
		return false
	}
	parts := strings.Split(accept, ",")
	if len(parts) > maxAcceptParts {
		return false
	}
	for _, p := range parts {
		mt, params, err := mime.ParseMediaType(p)
		if err != nil || mt != mediaProblemJSON {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || !(f > 0 && f <= 1) { // NaN and q>1 too
				continue
			}
		}
		return true
	}
	return false
}

// writeProblemJSON answers err as a problem document with status code and
// the detail msg (the status text for a 5xx, already logged by fail).
func writeProblemJSON(w http.ResponseWriter, r *http.Request, code int, msg string, err error) {
	p := problemDoc{Type: "about:blank", Title: http.StatusText(code), Status: code}
	if code < 500 {
		p.Detail = msg
		var pe *rdf.PosError
		if errors.As(err, &pe) {
			p.Line, p.Column = pe.Line, pe.Column
		}
	}
	b, _ := json.Marshal(p) // escapes <, > and &: the detail never reads as markup
	w.Header().Set("Content-Type", mediaProblemJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(b, '\n'))
	}
}
