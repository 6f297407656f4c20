package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/naamio/naamio/auth"
	"github.com/naamio/naamio/ldp"
)

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// NewLogger builds the one logger of the process; every record logged with
// a request's context carries that request's request_id.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(requestIDHandler{h}), nil
}

type ctxKey int

const (
	requestIDKey    ctxKey = iota // the request's ID (string)
	requestStartKey               // when the server began on it (time.Time)
)

// requestIDHandler adds the request ID found in the context to each record.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(a)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestID gives each request an ID (echoed as X-Request-ID, and added to
// every record logged with its context) and notes when the server began on
// it, so that the access log's duration covers what runs before the log
// (authentication).
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		ctx = context.WithValue(ctx, requestStartKey, time.Now())
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// accessLog logs one line when a request ends, with the WebID of its
// authenticated agent (auth.AgentFrom). Only the path is logged: never the
// query, headers or body, where credentials may travel.
func accessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			start, ok := ctx.Value(requestStartKey).(time.Time)
			if !ok {
				start = time.Now()
			}
			defer func() {
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("path", r.URL.EscapedPath()),
					slog.Int("status", status),
					slog.Int("bytes", ww.BytesWritten()),
					slog.Float64("duration_ms", float64(time.Since(start))/float64(time.Millisecond)),
				}
				if ag, err := auth.AgentFrom(ctx); err == nil && !ag.Anonymous() {
					attrs = append(attrs, slog.String("webid", ag.WebID))
				}
				log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// recoverPanics turns a handler panic into a logged 500 instead of a dead
// connection with no trace.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.EscapedPath(), "err", fmt.Sprint(v))
					w.WriteHeader(http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// logProblems logs what the LDP handler meets that its client is not told
// in full (ldp.Config.Problems), with the request's id: the handler logs
// nothing itself. An unusable ACL and a client that went away are
// warnings; a failed request and a damaged body are errors.
func logProblems(log *slog.Logger) func(ctx context.Context, p ldp.Problem) {
	return func(ctx context.Context, p ldp.Problem) {
		level := slog.LevelError
		if p.Kind == ldp.ProblemNoUsableACL || p.Kind == ldp.ProblemClientGone {
			level = slog.LevelWarn
		}
		attrs := []any{"method", p.Method, "path", p.Path, "err", p.Err}
		if p.Status != 0 {
			attrs = append(attrs, "status", p.Status)
		}
		log.Log(ctx, level, p.Kind.String(), attrs...)
	}
}
