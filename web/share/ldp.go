package share

import (
	"context"
	"net/http"

	"github.com/naamio/naamio/web/ui"
)

// maxRead bounds what a page reads of a resource in process (an ACL or a
// profile); larger bodies are cut and treated as unreadable.
const maxRead = 1 << 20

// recorder is the response of an in-process request to the LDP handler
// (at most maxRead bytes of the body; Truncated past that).
type recorder = ui.Recorder

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
	return ui.Serve(h.ldp, req, maxRead), nil
}
