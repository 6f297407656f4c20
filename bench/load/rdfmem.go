package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The rdfmem scenario (SECURITY row 15, issue 10 item 7): -rdfmem-c
// workers at once send worst-case RDF work to the server, -rdfmem-rounds
// requests each, within -rdfmem-limit, while the server's VmRSS is sampled
// every 20 ms (needs -pid). The kinds, by worker number modulo 4:
//
//	max-triples  PUT of a Turtle body of -rdfmem-triples - 1 short triples
//	max-bytes    PUT of a Turtle body just under 10 MiB of the shortest
//	             triples (an object list of distinct integers): 413 at the
//	             server's triple limit
//	n3-where     N3 PATCH of a stored max-triples document with a 3-pattern
//	             where that has many mappings (409)
//	sparql-where SPARQL Update of such a document whose 3-pattern WHERE
//	             explodes (stopped by the evaluation limits)
//
// When the server's RSS passes -rdfmem-rss-cap, the server (the process
// -pid, started by bench/rdfmem.sh) is killed and every request cancelled:
// a server without bounds could otherwise take the host's memory.

type rdfmemConfig struct {
	workers, rounds, triples int
	limit                    time.Duration
	rssCap                   int64
}

// denseTurtle is a Turtle body of about size bytes made of the shortest
// distinct triples: one subject and predicate, integer objects.
func denseTurtle(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 16)
	b.WriteString("@prefix : <http://e/>.\n:s :p 0")
	for i := 1; b.Len() < size-16; i++ {
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(".\n")
	return b.Bytes()
}

// manyTurtle is a Turtle body of n distinct triples: half an object list,
// half distinct subjects.
func manyTurtle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("@prefix : <http://e/>.\n:s :p 0")
	for i := 1; i < n/2; i++ {
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(i))
	}
	b.WriteString(".\n")
	for i := n / 2; i < n; i++ {
		fmt.Fprintf(&b, ":s%d :q :o%d.\n", i, i%1000)
	}
	return b.Bytes()
}

const n3Where3 = `@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix : <http://e/>.
_:p a solid:InsertDeletePatch;
  solid:where { ?a :q ?o . ?b :q ?o . :s :p 7 };
  solid:deletes { :s :p 7 };
  solid:inserts { :s :p 8 }.
`

const sparqlWhere3 = `PREFIX : <http://e/>
INSERT { :x :y ?a } WHERE { ?a :q ?o . ?b :q ?o . ?c :q ?o }`

type rdfmemKind struct {
	name, method, ct string
	body             []byte
	path             func(w, round int) string
}

func rdfmemScenario(client *http.Client, cfg config, rc rdfmemConfig, base string, out io.Writer) error {
	if cfg.pid <= 0 {
		return fmt.Errorf("rdfmem needs -pid")
	}
	docs := []string{base + "doc-0.ttl", base + "doc-1.ttl"}
	big := manyTurtle(rc.triples - 1)
	for _, d := range docs {
		if err := put(client, d, big); err != nil {
			return fmt.Errorf("seeding %s: %w", d, err)
		}
	}
	idle, _ := vmRSS(cfg.pid)
	kinds := []rdfmemKind{
		{"max-triples PUT (" + strconv.Itoa(rc.triples-1) + " triples, " + strconv.Itoa(len(big)>>10) + " KiB)", http.MethodPut, "text/turtle", big,
			func(w, r int) string { return fmt.Sprintf("%sput-%d-%d.ttl", base, w, r) }},
		{"max-bytes PUT (10 MiB of triples)", http.MethodPut, "text/turtle", denseTurtle(10<<20 - 4096),
			func(w, r int) string { return fmt.Sprintf("%sbig-%d-%d.ttl", base, w, r) }},
		{"N3 PATCH, 3-pattern where", http.MethodPatch, "text/n3", []byte(n3Where3),
			func(w, r int) string { return docs[w/4%2] }},
		{"SPARQL Update, exploding 3-pattern WHERE", http.MethodPatch, "application/sparql-update", []byte(sparqlWhere3),
			func(w, r int) string { return docs[w/4%2] }},
	}
	ctx, cancel := context.WithTimeout(context.Background(), rc.limit)
	defer cancel()
	var peak atomic.Int64
	peak.Store(idle)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rss, err := vmRSS(cfg.pid)
			if err != nil {
				continue
			}
			if rss > peak.Load() {
				peak.Store(rss)
			}
			if rss > rc.rssCap {
				// A server without bounds keeps parsing after its clients
				// hang up: stop it before it takes the host's memory.
				_ = syscall.Kill(cfg.pid, syscall.SIGKILL)
				cancel()
			}
		}
	}()
	type outcome struct {
		kind   int
		status int // 0: transport error or cancelled
		took   time.Duration
	}
	var mu sync.Mutex
	var outcomes []outcome
	var wg sync.WaitGroup
	start := time.Now()
	for w := range rc.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := kinds[w%len(kinds)]
			for r := range rc.rounds {
				if ctx.Err() != nil {
					return
				}
				req, err := http.NewRequestWithContext(ctx, k.method, k.path(w, r), bytes.NewReader(k.body))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", k.ct)
				t0 := time.Now()
				status := 0
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				outcomes = append(outcomes, outcome{w % len(kinds), status, time.Since(t0)})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cancel()
	<-sampled
	after, _ := vmRSS(cfg.pid)

	fmt.Fprintf(out, "RDF memory load: %d workers × %d rounds (bounded by %s), %s elapsed\n\n", rc.workers, rc.rounds, rc.limit, elapsed.Round(100*time.Millisecond))
	fmt.Fprintln(out, "| request | sent | statuses | median | max |")
	fmt.Fprintln(out, "|---|---:|---|---:|---:|")
	for i, k := range kinds {
		var took []time.Duration
		statuses := map[int]int{}
		for _, o := range outcomes {
			if o.kind == i {
				took = append(took, o.took)
				statuses[o.status]++
			}
		}
		sort.Slice(took, func(a, b int) bool { return took[a] < took[b] })
		var parts []string
		codes := make([]int, 0, len(statuses))
		for c := range statuses {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			name := strconv.Itoa(c)
			if c == 0 {
				name = "error/cancelled"
			}
			parts = append(parts, fmt.Sprintf("%s×%d", name, statuses[c]))
		}
		med, mx := time.Duration(0), time.Duration(0)
		if len(took) > 0 {
			med, mx = took[len(took)/2], took[len(took)-1]
		}
		fmt.Fprintf(out, "| %s | %d | %s | %s | %s |\n", k.name, len(took), strings.Join(parts, " "), med.Round(time.Millisecond), mx.Round(time.Millisecond))
	}
	p := peak.Load()
	note := ""
	if p > rc.rssCap {
		note = fmt.Sprintf(" (passed the %.0f MiB cap: server killed, requests cancelled)", mib(rc.rssCap))
	}
	fmt.Fprintf(out, "\nserver VmRSS: %.0f MiB idle with the two documents stored, peak %.0f MiB%s, %.0f MiB after; target: peak < 300 MiB (%s)\n",
		mib(idle), mib(p), note, mib(after), yes(p < 300<<20))
	return nil
}
