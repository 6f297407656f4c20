package deliver

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Config.Outcome is told each attempt's result and Queued follows the
// queue (the server's naamio_federation_deliveries_total and
// naamio_federation_delivery_queue, issue 16 item 4): two failures then a
// success at one inbox, a permanent refusal at another.
func TestOutcomeAndQueued(t *testing.T) {
	s := openStore(t, "")
	flaky := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	gone := newReceiver(t, func(int, http.ResponseWriter, *http.Request) int { return http.StatusGone })
	var mu sync.Mutex
	seen := map[string]int{}
	d, _ := deliverer(t, s, Config{Outcome: func(r string) {
		mu.Lock()
		seen[r]++
		mu.Unlock()
	}}, flaky, gone)
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note),
		Inboxes: []string{flaky.url("/inbox"), gone.url("/inbox")}}); err != nil {
		t.Fatal(err)
	}
	if n := d.Queued(); n != 2 {
		t.Fatalf("Queued before Run = %d, want 2", n)
	}
	run(t, d)
	waitFor(t, 10*time.Second, "an empty queue", func() bool { return pending(t, d) == 0 && d.Queued() == 0 })
	mu.Lock()
	defer mu.Unlock()
	want := map[string]int{"retry": 2, "delivered": 1, "dropped": 1}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("outcomes %v, want %v", seen, want)
			break
		}
	}
	for k := range seen {
		if !strings.Contains("retry delivered dropped", k) {
			t.Errorf("unknown outcome %q", k)
		}
	}
}
