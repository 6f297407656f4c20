package share

import (
	"bytes"
	"context"
	"net/http"

	"github.com/naamio/naamio/web/ui"
)

// maxRead bounds what a page reads of a resource in process (an ACL or a
// profile); larger bodies are cut and treated as unreadable.
const maxRead = 1 << 20

// recorder is the response of an in-process request to the LDP handler.
type recorder struct {
	hd     http.Header
	status int
	body   bytes.Buffer
	cut    bool
}

func (r *recorder) Header() http.Header { return r.hd }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(b) > maxRead {
		r.cut = true
		return len(b), nil
	}
	return r.body.Write(b)
}

// asUser serves method on target by the LDP handler as webID: WAC decides
// exactly as for a request that person made through the pages' client.
func (h *Handler) asUser(ctx context.Context, webID, method, target, accept string) (*recorder, error) {
	req, err := http.NewRequestWithContext(ui.AsUser(ctx, webID), method, target, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := &recorder{hd: http.Header{}}
	h.ldp.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec, nil
}
