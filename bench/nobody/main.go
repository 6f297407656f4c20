// Command nobody measures SECURITY row 60 (issue 10 item 8) against a
// running server on a loopback address: it opens -n connections at once,
// each sending an anonymous PUT with a Content-Length and never the body
// (the server refuses it with 401 before reading any body), and reports how
// long the answers took and how long the server kept the sockets open.
// Everything is bounded: -n connections, and -bound for the whole run;
// sockets still open at the bound are counted as held and closed by the
// tool.
//
//	go run ./bench/nobody -target http://127.0.0.1:PORT/ -n 200 -bound 20s
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"time"
)

type outcome struct {
	status   int
	answered time.Duration // 0: no answer within the bound
	closed   time.Duration // 0: still open at the bound
}

func main() {
	target := flag.String("target", "", "server base URL on a loopback address")
	n := flag.Int("n", 200, "connections (at most 2000)")
	bound := flag.Duration("bound", 20*time.Second, "time bound of the whole run (at most 60s)")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Scheme != "http" || !loopback(u.Hostname()) {
		fail("-target must be an http URL on 127.0.0.1 or [::1]")
	}
	if *n < 1 || *n > 2000 || *bound <= 0 || *bound > time.Minute {
		fail("-n must be 1..2000 and -bound 0..60s")
	}
	deadline := time.Now().Add(*bound)
	head := "PUT " + u.Path + "nobody.ttl HTTP/1.1\r\nHost: " + u.Host +
		"\r\nContent-Type: text/turtle\r\nContent-Length: 100\r\n\r\n"
	out := make([]outcome, *n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = one(u.Host, head, start, deadline)
		}()
	}
	wg.Wait()
	var answered, closed []time.Duration
	statuses := map[int]int{}
	for _, o := range out {
		if o.answered > 0 {
			answered = append(answered, o.answered)
			statuses[o.status]++
		}
		if o.closed > 0 {
			closed = append(closed, o.closed)
		}
	}
	fmt.Printf("connections %d, bound %v\n", *n, *bound)
	fmt.Printf("answered within the bound: %d %v; time to answer p50 %v max %v\n",
		len(answered), statuses, pct(answered, 0.5), pct(answered, 1))
	fmt.Printf("closed by the server within the bound: %d; time to close p50 %v max %v; still held at the bound: %d\n",
		len(closed), pct(closed, 0.5), pct(closed, 1), *n-len(closed))
}

// one sends head on a new connection and waits for the answer and the
// server's close, until deadline. Times are measured from start (all
// connections are opened at once).
func one(addr, head string, start, deadline time.Time) outcome {
	var o outcome
	conn, err := net.DialTimeout("tcp", addr, time.Until(deadline))
	if err != nil {
		return o
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		return o
	}
	_ = conn.SetReadDeadline(deadline)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			o.closed = time.Since(start)
		}
		return o
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o.status, o.answered = resp.StatusCode, time.Since(start)
	if _, err := io.Copy(io.Discard, br); !errors.Is(err, os.ErrDeadlineExceeded) {
		o.closed = time.Since(start)
	}
	return o
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(p*float64(len(d))) - 1
	if i < 0 {
		i = 0
	}
	return d[i].Round(time.Millisecond)
}

func loopback(h string) bool {
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "nobody:", msg)
	os.Exit(2)
}
