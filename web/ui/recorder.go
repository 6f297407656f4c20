package ui

import (
	"bytes"
	"errors"
	"net/http"
)

// ErrTooLarge is what a Recorder's Write answers past its Max: the
// handler writing the body stops there.
var ErrTooLarge = errors.New("ui: body over the page's limit")

// Recorder is the http.ResponseWriter of a page's in-process request to
// the LDP handler (made as the person: AsUser): the status, the header
// and at most Max bytes of the body. A Write past Max keeps what fits,
// sets Truncated and fails with ErrTooLarge.
type Recorder struct {
	Max       int64
	Status    int
	Hdr       http.Header
	Body      bytes.Buffer
	Truncated bool
}

// NewRecorder keeps at most max bytes of the body (0: none, for a HEAD
// or a status check).
func NewRecorder(max int64) *Recorder { return &Recorder{Max: max, Hdr: http.Header{}} }

// Serve serves req with h into a new Recorder keeping at most max bytes
// of the body; its Status is 200 when h wrote nothing.
func Serve(h http.Handler, req *http.Request, max int64) *Recorder {
	rec := NewRecorder(max)
	h.ServeHTTP(rec, req)
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	return rec
}

func (r *Recorder) Header() http.Header { return r.Hdr }

func (r *Recorder) WriteHeader(status int) {
	if r.Status == 0 {
		r.Status = status
	}
}

func (r *Recorder) Write(p []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	room := r.Max - int64(r.Body.Len())
	if int64(len(p)) > room {
		if room > 0 {
			r.Body.Write(p[:room])
		}
		r.Truncated = true
		return int(max(room, 0)), ErrTooLarge
	}
	return r.Body.Write(p)
}
