package notify

import "testing"

// A client that never reads holds at most its queue: the offer that finds
// the queue full closes the socket instead of growing it (issue 12 item 3).
func TestSocketQueueBoundedClosesWhenFull(t *testing.T) {
	k := &socket{max: 2} // no connection yet: nothing drains the queue
	k.offer([]byte("1"))
	k.offer([]byte("2"))
	if k.stopped {
		t.Fatal("closed before the queue was full")
	}
	if len(k.queue) != 2 {
		t.Fatalf("queue holds %d, want 2", len(k.queue))
	}
	k.offer([]byte("3"))
	k.offer([]byte("4")) // a second overflow must not panic (close once)
	if !k.stopped {
		t.Fatal("a full queue did not close the socket")
	}
	if len(k.queue) != 0 {
		t.Fatalf("a closed socket keeps %d messages", len(k.queue))
	}
}
