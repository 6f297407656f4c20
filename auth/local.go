package auth

import (
	"bytes"
	"context"
	"net/http"
	"net/url"

	"github.com/naamio/naamio/internal/safehttp"
)

// isLocal reports whether raw names a resource of this server (under
// BaseURL, or on a pod's own host) and the server's own handler is
// available to answer it.
func (a *Authenticator) isLocal(raw string) bool {
	if a.local == nil {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && a.loc.Serves(u)
}

// fetchLocal asks the server's own handler for u as an anonymous GET,
// within the same body limit as a remote fetch. No redirect is followed.
func (a *Authenticator) fetchLocal(ctx context.Context, u, accept string) (*safehttp.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.RequestURI = req.URL.RequestURI()
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := &capture{header: http.Header{}, max: safehttp.DefaultMaxBody}
	a.local.ServeHTTP(w, req)
	if w.tooLarge {
		return nil, safehttp.ErrTooLarge
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &safehttp.Response{StatusCode: w.status, Header: w.header, Body: w.body.Bytes(), URL: u}, nil
}

// capture is an in-memory ResponseWriter with a body limit.
type capture struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	max      int64
	tooLarge bool
}

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *capture) Write(p []byte) (int, error) {
	c.WriteHeader(http.StatusOK)
	if int64(c.body.Len()+len(p)) > c.max {
		c.tooLarge = true
		return 0, safehttp.ErrTooLarge
	}
	return c.body.Write(p)
}
