package server

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// serveInTest runs s.Serve(ctx) in the background until stop is called or
// the test ends. stop (idempotent) cancels it, waits for it and fails the
// test if Serve failed; exited is closed once Serve has returned.
func serveInTest(t testing.TB, ctx context.Context, s *Server) (stop func(), exited <-chan struct{}) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var err error
	go func() {
		err = s.Serve(ctx)
		close(done)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop, done
}

// healthy reports whether GET base + ".naamio/health" (base ends in "/")
// answers 200 within tries attempts, 20 ms apart.
func healthy(base string, tries int) bool {
	for range tries {
		if resp, err := http.Get(base + ".naamio/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
