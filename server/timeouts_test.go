package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// SECURITY row 60 (issue 10 item 8): a request the server refuses before
// reading its body, whose body never arrives, is answered at once and its
// connection closed by the server; nothing waits for the body. Before, Go's
// server tried to read the unread body before sending the answer, with no
// deadline: the client got nothing and the socket stayed open.
// The body idle timeout stays at its default (30 s), far above the bounds
// used here, so it is not what frees the sockets.
func TestSecurityRow60RefusedBodyNeverArrives(t *testing.T) {
	url, _ := startServer(t, func(c *Config) { c.MaxRDFBody = 1000 })
	addr := strings.TrimPrefix(url, "http://")
	cases := []struct {
		name, head string
		status     int
	}{
		{"401 bad credentials", "PUT /a.ttl HTTP/1.1\r\nHost: x\r\nAuthorization: DPoP not-a-token\r\nDPoP: x\r\n" +
			"Content-Type: text/turtle\r\nContent-Length: 100\r\n\r\n", http.StatusUnauthorized},
		{"413 over the RDF limit", "PUT /b.ttl HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\nContent-Length: 5000\r\n\r\n",
			http.StatusRequestEntityTooLarge},
		{"404 POST to a missing container", "POST /missing/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\nContent-Length: 100\r\n\r\n",
			http.StatusNotFound},
		{"401 chunked", "PUT /c.ttl HTTP/1.1\r\nHost: x\r\nAuthorization: DPoP not-a-token\r\nDPoP: x\r\n" +
			"Content-Type: text/turtle\r\nTransfer-Encoding: chunked\r\n\r\n", http.StatusUnauthorized},
		{"401 expecting 100-continue", "PUT /d.ttl HTTP/1.1\r\nHost: x\r\nAuthorization: DPoP not-a-token\r\nDPoP: x\r\n" +
			"Content-Type: text/turtle\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n", http.StatusUnauthorized},
	}
	const perCase = 20 // connections held open by the client at once, per case
	// bound is how long the test waits for an answer and for the close:
	// far more than either takes, far less than the body idle timeout.
	const bound = 10 * time.Second
	var wg sync.WaitGroup
	errs := make(chan error, len(cases)*perCase)
	for _, c := range cases {
		for i := 0; i < perCase; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := refusedWithoutBody(addr, c.head, c.status, bound); err != nil {
					errs <- fmt.Errorf("%s #%d: %w", c.name, i, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	if n > 10 {
		t.Errorf("... and %d more", n-10)
	}
	// The server still serves.
	resp, err := http.Get(url + "/.naamio/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health after the refused requests: %v", err)
	}
	resp.Body.Close()
}

// refusedWithoutBody sends head (request line and headers, no body) on a
// new connection, reads the answer, which must have status want, and then
// waits for the server to close the connection, without ever sending the
// body.
func refusedWithoutBody(addr, head string, want int, bound time.Duration) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(bound))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	if resp.StatusCode == http.StatusContinue {
		return errors.New("100 Continue for a refused request")
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("reading the answer's body: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	if !resp.Close {
		return errors.New("answer does not say Connection: close")
	}
	// The server closes: EOF (or a reset), never our deadline.
	_, err = br.ReadByte()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errors.New("the server kept the connection open")
	}
	if err == nil {
		return errors.New("more bytes after the answer")
	}
	return nil
}

// A refused request whose body does arrive gets its whole answer (the
// server reads the rest of the body before closing, so the close does not
// reset the connection under the answer), and a request whose body the
// handler reads keeps its connection.
func TestSecurityRow60BodyThatArrives(t *testing.T) {
	url, _ := startServer(t, nil)
	addr := strings.TrimPrefix(url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := strings.Repeat("<#a> <#b> <#c> .\n", 1000)
	_, _ = fmt.Fprintf(conn, "PUT /a.ttl HTTP/1.1\r\nHost: x\r\nAuthorization: DPoP not-a-token\r\nDPoP: x\r\n"+
		"Content-Type: text/turtle\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || int64(len(b)) != resp.ContentLength {
		t.Fatalf("answer %d, %d of %d body bytes, err %v", resp.StatusCode, len(b), resp.ContentLength, err)
	}

	// Keep-alive for bodies that are read: two PUTs on one connection.
	conn2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	_ = conn2.SetReadDeadline(time.Now().Add(10 * time.Second))
	br2 := bufio.NewReader(conn2)
	for i := 0; i < 2; i++ {
		_, _ = fmt.Fprintf(conn2, "PUT /k%d.ttl HTTP/1.1\r\nHost: x\r\nContent-Type: text/turtle\r\nContent-Length: %d\r\n\r\n%s", i, len(body), body)
		resp, err := http.ReadResponse(br2, nil)
		if err != nil {
			t.Fatalf("PUT %d on a kept-alive connection: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || resp.Close {
			t.Fatalf("PUT %d: %d, close %v", i, resp.StatusCode, resp.Close)
		}
	}
}
