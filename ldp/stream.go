package ldp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// checkFirst is how much of a stored body is read before the status line
// is sent: a body up to this size whole, the first 64 KiB chunk of a
// larger one (issue 10 item 11).
const checkFirst = 64 << 10

// errDamagedBody wraps a failure to read a stored body before any of it
// was sent; it is the store's own data, so a 500.
type errDamagedBody struct {
	path string
	err  error
}

func (e *errDamagedBody) Error() string {
	return fmt.Sprintf("stored body of %s is damaged or unreadable: %v", e.path, e.err)
}

func (e *errDamagedBody) Unwrap() error { return e.err }

// readHead reads the first min(n, checkFirst) bytes of body, the n bytes
// about to be sent. The store checks what it reads (Badger verifies every
// value's checksum), so damage there is found while a 500 can still be
// answered, instead of a 200 whose body breaks off after the headers. It
// returns a reader for all n bytes.
func readHead(path string, body io.Reader, n int64) (io.Reader, error) {
	head := make([]byte, min(n, checkFirst))
	if _, err := io.ReadFull(body, head); err != nil {
		return nil, &errDamagedBody{path: path, err: err}
	}
	return io.MultiReader(bytes.NewReader(head), body), nil
}

// damaged prepares the answer to a body readHead could not read, err: a
// 500, without the validators of a representation that was not sent.
func damaged(w http.ResponseWriter, err error) error {
	w.Header().Del("ETag")
	w.Header().Del("Last-Modified")
	w.Header().Del("Accept-Ranges")
	return err
}

// copyBody sends body after the status line. Once headers are gone a
// failure can only cut the response short; a failure to read the stored
// bytes (damage past the first chunk) is logged as such, with the path,
// apart from a client that went away.
func (h *Handler) copyBody(w http.ResponseWriter, r *http.Request, path string, body io.Reader) {
	cw := &clientWriter{w: w}
	if _, err := io.Copy(cw, body); err != nil {
		if cw.err != nil {
			h.problem(r.Context(), Problem{Kind: ProblemClientGone, Method: r.Method, Path: path, Err: err})
			return
		}
		h.problem(r.Context(), Problem{Kind: ProblemDamagedBody, Method: r.Method, Path: path, Err: err})
	}
}

// clientWriter records the error of writing to the client, to tell it
// from an error reading the body.
type clientWriter struct {
	w   io.Writer
	err error
}

func (c *clientWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err != nil {
		c.err = err
	}
	return n, err
}
