package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Issue 14 deliverable 3, a Follow flood: one domain sends more valid,
// signed Follows than its burst allows (--inbox-burst 200, --inbox-rate
// 1 here: however slowly a loaded machine sends the 600, far fewer than
// 400 s pass, so the budget is spent whatever the speed), from 40 actors,
// 8 at a time. The
// inbox answers 429 once the domain's budget is spent (SECURITY row 43),
// every Follow it took is recorded once per actor (40 followers, not one
// per request), each accepted Follow is answered by one Accept at most,
// and another domain's Follow is taken meanwhile.
func TestFederationFollowFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of signed requests")
	}
	e := newFedEnvWith(t, 2, func(c *Config) { c.InboxRate, c.InboxBurst = 1, 200 })
	p, q := e.peers[0], e.peers[1]
	const actors, total = 40, 600
	var names []string
	for i := range actors {
		names = append(names, p.actor(fmt.Sprintf("f%d", i)))
	}
	var mu sync.Mutex
	counts := map[int]int{}
	jobs := make(chan int)
	var wg sync.WaitGroup
	deadline := time.Now().Add(90 * time.Second) // bounded in count and time
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if time.Now().After(deadline) {
					continue
				}
				actor := names[i%actors]
				b, _ := json.Marshal(activity("Follow", actor, e.actor("alice")))
				st, _ := do(t, p.signed(t, e.inbox("alice"), actor, b))
				mu.Lock()
				counts[st]++
				mu.Unlock()
			}
		}()
	}
	for i := range total {
		jobs <- i
		if i == total/2 {
			// Another domain in the middle of the flood.
			if st, out := q.post(t, e.inbox("alice"), activity("Follow", q.actor("olga"), e.actor("alice"))); st != http.StatusAccepted {
				t.Errorf("another domain's Follow during the flood: %d %s", st, out)
			}
		}
	}
	close(jobs)
	wg.Wait()
	t.Logf("statuses: %v", counts)
	if counts[http.StatusTooManyRequests] == 0 {
		t.Fatalf("the flood was never limited: %v", counts)
	}
	if n := counts[http.StatusAccepted] + counts[http.StatusTooManyRequests]; n != total {
		t.Fatalf("statuses %v: want only 202 and 429 for %d requests", counts, total)
	}
	n, err := e.s.fed.Relations().CountFollowers(t.Context(), "alice")
	if err != nil || n != actors+1 {
		t.Fatalf("%d followers (%v), want %d: one per actor", n, err, actors+1)
	}
	// Accepts go out (one per accepted Follow at most).
	waitFor(t, "Accepts delivered", func() bool { return len(p.received("Accept")) >= actors })
	if got := len(p.received("Accept")); got > counts[http.StatusAccepted] {
		t.Fatalf("%d Accepts for %d accepted Follows", got, counts[http.StatusAccepted])
	}
}
