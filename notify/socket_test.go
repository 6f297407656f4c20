package notify

import "testing"

// A client that never reads holds at most its queue: the offer that finds
// the queue full closes the socket instead of growing it (issue 12 item 3).
func TestSocketQueueBoundedClosesWhenFull(t *testing.T) {
	k := &socket{queue: make(chan []byte, 2), full: make(chan struct{})}
	k.offer([]byte("1"))
	k.offer([]byte("2"))
	select {
	case <-k.full:
		t.Fatal("closed before the queue was full")
	default:
	}
	k.offer([]byte("3"))
	k.offer([]byte("4")) // a second overflow must not panic (close once)
	select {
	case <-k.full:
	default:
		t.Fatal("a full queue did not close the socket")
	}
	if len(k.queue) != 2 {
		t.Fatalf("queue holds %d, want 2", len(k.queue))
	}
}
