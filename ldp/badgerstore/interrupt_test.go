package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp"
)

// TestInterruptedUpload: a client that sends half of a 50 MB body and
// hangs up leaves no resource and, once the handler has returned, no blob;
// the batches already committed are deleted at once, and Open would sweep
// any a crash left behind (TestOrphanBlobs).
func TestInterruptedUpload(t *testing.T) {
	s, _ := openTemp(t, Options{DiskReserve: -1})
	// Everyone may write: this test is about the store, not access control.
	const public = `<#p> a <http://www.w3.org/ns/auth/acl#Authorization>;
	  <http://www.w3.org/ns/auth/acl#agentClass> <http://xmlns.com/foaf/0.1/Agent>;
	  <http://www.w3.org/ns/auth/acl#default> <http://pod.example/>;
	  <http://www.w3.org/ns/auth/acl#accessTo> <http://pod.example/>;
	  <http://www.w3.org/ns/auth/acl#mode> <http://www.w3.org/ns/auth/acl#Write>.`
	if _, _, err := s.Put(context.Background(), ldp.PutRequest{Path: "/.acl", ContentType: "text/turtle",
		RDF: true, Aux: true, Body: strings.NewReader(public)}); err != nil {
		t.Fatal(err)
	}
	loc, err := ldp.NewLocator("http://pod.example/", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ldp.NewACLResolver(s, loc, 0)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ldp.NewHandler(s, ldp.Config{BaseURL: "http://pod.example/", ACL: res})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	done := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	defer srv.Close()
	before := s.Usage().Used // the ACL

	const size, sent = 50 << 20, 25 << 20
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /big.bin HTTP/1.1\r\nHost: pod.example\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", size)
	if _, err := io.Copy(conn, &patternReader{n: sent}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("handler did not return after the client hung up")
	}
	if _, err := s.Stat(context.Background(), "/big.bin"); !errors.Is(err, ldp.ErrNotFound) {
		t.Fatalf("Stat after interrupted upload: %v, want not found", err)
	}
	waitBackground(s)
	if n := blobCount(t, s); n != 0 {
		t.Fatalf("%d blobs left behind", n)
	}
	if u := s.Usage(); u.Used != before {
		t.Errorf("Usage %+v after interrupted upload", u)
	}
}

// TestQuotaRefusalLeavesNoBlob: a streamed body refused by the quota part
// way through is deleted again.
func TestQuotaRefusalLeavesNoBlob(t *testing.T) {
	s, _ := openTemp(t, Options{Quota: 4 << 20})
	ctx := context.Background()
	_, _, err := s.Put(ctx, ldp.PutRequest{Path: "/big", Body: &patternReader{n: 50 << 20}})
	if !errors.Is(err, ldp.ErrQuotaExceeded) {
		t.Fatalf("Put = %v, want quota exceeded", err)
	}
	if _, _, err := s.Put(ctx, ldp.PutRequest{Path: "/fits", Body: bytes.NewReader(make([]byte, 3<<20))}); err != nil {
		t.Fatalf("a body within the quota: %v", err)
	}
	waitBackground(s)
	if n := blobCount(t, s); n != 1 {
		t.Fatalf("%d blobs, want 1", n)
	}
}

// cutShort is a body that ends with io.ErrUnexpectedEOF, as net/http's
// request body does when the client hangs up before Content-Length bytes.
type cutShort struct{ r io.Reader }

func (c cutShort) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// TestTruncatedBody: a body that ends in an error is not stored, whatever
// its size (inline, held in memory, streamed), and leaves no blob.
func TestTruncatedBody(t *testing.T) {
	s, _ := openTemp(t, Options{})
	for _, n := range []int64{10, 100 << 10, 3 << 20} {
		_, _, err := s.Put(context.Background(), ldp.PutRequest{Path: "/cut", Body: cutShort{&patternReader{n: n}}})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%d bytes: Put = %v, want unexpected EOF", n, err)
		}
	}
	if _, err := s.Stat(context.Background(), "/cut"); !errors.Is(err, ldp.ErrNotFound) {
		t.Fatalf("Stat = %v, want not found", err)
	}
	waitBackground(s)
	if n := blobCount(t, s); n != 0 {
		t.Fatalf("%d blobs left", n)
	}
}
