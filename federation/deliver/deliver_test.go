package deliver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// An enqueued activity is POSTed to every inbox, signed by its sender's
// signer, as application/activity+json, and leaves nothing in the queue.
func TestDeliverToEachInbox(t *testing.T) {
	s := openStore(t, "")
	r1, r2 := newReceiver(t, nil), newReceiver(t, nil)
	d, _ := deliverer(t, s, Config{}, r1, r2)
	run(t, d)
	q, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{r1.url("/inbox"), r1.url("/users/bob/inbox"), r2.url("/inbox")}})
	if err != nil || q.Targets != 3 || q.Skipped != 0 || q.ID == "" {
		t.Fatalf("Enqueue = %+v, %v", q, err)
	}
	waitFor(t, 10*time.Second, "3 deliveries", func() bool { return len(r1.delivered())+len(r2.delivered()) == 3 })
	for _, g := range append(r1.delivered(), r2.delivered()...) {
		if g.ctype != "application/activity+json" || g.signer != alice || string(g.body) != note {
			t.Fatalf("delivery %+v", g)
		}
	}
	waitFor(t, 5*time.Second, "an empty queue", func() bool {
		return len(s.keys("a")) == 0 // aq/, aa/ and at/ all gone
	})
}

// Each inbox gets the activity once, however it is spelled (shared
// inboxes named by many followers; case of scheme and host, default
// port, fragment).
func TestEnqueueDeduplicates(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, nil)
	d, _ := deliverer(t, s, Config{}, rc)
	in := rc.url("/inbox")
	up := strings.Replace(in, "http://", "HTTP://", 1)
	q, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{in, in, up, in + "#x", in, rc.url("/other")}})
	if err != nil || q.Targets != 2 {
		t.Fatalf("Enqueue = %+v, %v; want 2 targets", q, err)
	}
	if n := pending(t, d); n != 2 {
		t.Fatalf("queued %d", n)
	}
	run(t, d)
	waitFor(t, 10*time.Second, "an empty queue", func() bool { return pending(t, d) == 0 })
	if n := rc.requests(); n != 2 {
		t.Fatalf("receiver got %d requests, want 2", n)
	}
}

// A 500 (and 502, 503, 408, 429, a dropped connection) is retried after a
// backoff until the peer answers 2xx.
func TestRetryUntilSuccess(t *testing.T) {
	for _, fail := range []int{500, 502, 503, http.StatusRequestTimeout, http.StatusTooManyRequests, -1} {
		t.Run(fmt.Sprint(fail), func(t *testing.T) {
			s := openStore(t, "")
			rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) int {
				if n <= 2 {
					if fail == -1 {
						panic(http.ErrAbortHandler) // connection dropped
					}
					return fail
				}
				return http.StatusOK
			})
			d, _ := deliverer(t, s, Config{}, rc)
			run(t, d)
			if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/inbox")}}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.delivered()) == 1 })
			waitFor(t, 5*time.Second, "an empty queue", func() bool { return pending(t, d) == 0 })
			if n := rc.requests(); n != 3 {
				t.Fatalf("%d requests, want 3", n)
			}
		})
	}
}

// 4xx other than 408 and 429 (and 3xx: no redirect is followed) is a
// permanent failure: one request, the delivery dropped and logged.
func TestPermanentFailureDropped(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 410, 413, 422, http.StatusFound} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			s := openStore(t, "")
			rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) int {
				w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
				return status
			})
			d, logs := deliverer(t, s, Config{}, rc)
			run(t, d)
			if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/inbox")}}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the drop", func() bool { return len(s.keys("a")) == 0 })
			time.Sleep(50 * time.Millisecond) // a retry would come after MinBackoff (20ms)
			if n := rc.requests(); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
			if !strings.Contains(logs.String(), "failed permanently") {
				t.Fatalf("drop not logged: %s", logs)
			}
		})
	}
}

// A 429 or 503 with Retry-After is not tried again before it (within
// MaxBackoff).
func TestRetryAfterHonoured(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) int {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	d, _ := deliverer(t, s, Config{MaxBackoff: 5 * time.Second}, rc)
	run(t, d)
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/inbox")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.delivered()) == 1 })
	rc.mu.Lock()
	gap := rc.times[1].Sub(rc.times[0])
	rc.mu.Unlock()
	if gap < 900*time.Millisecond {
		t.Fatalf("retried after %v despite Retry-After: 1", gap)
	}
}

// Retry-After values, good and bad.
func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"30", 30 * time.Second},
		{"99999999999999999999", 0}, // overflows: ignored
		{"9999999999", 365 * 24 * time.Hour},
		{"1.5", 0},
		{"soon", 0},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"Mon, 07 Dec 2026 08:01:00", 0}, // no zone: not an HTTP date
	} {
		if got := retryAfter(tc.v, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// A peer that never answers holds at most PerHost senders; a live peer
// gets all its deliveries while the dead one is still stuck, and no host
// has more than PerHost requests in flight.
func TestDeadPeerDoesNotSlowLive(t *testing.T) {
	s := openStore(t, "")
	release := make(chan struct{})
	dead := newReceiver(t, func(int, http.ResponseWriter, *http.Request) int {
		<-release
		return http.StatusOK
	})
	live := newReceiver(t, func(int, http.ResponseWriter, *http.Request) int {
		time.Sleep(2 * time.Millisecond)
		return http.StatusOK
	})
	defer close(release)
	d, _ := deliverer(t, s, Config{Workers: 4, PerHost: 2, Timeout: time.Minute}, dead, live)
	run(t, d)
	var deadIn, liveIn []string
	for i := range 40 {
		deadIn = append(deadIn, dead.url(fmt.Sprintf("/users/%d/inbox", i)))
		liveIn = append(liveIn, live.url(fmt.Sprintf("/users/%d/inbox", i)))
	}
	ctx := context.Background()
	if _, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: deadIn}); err != nil { // the dead peer's first
		t.Fatal(err)
	}
	if _, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: liveIn}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the live peer's 40 deliveries", func() bool { return len(live.delivered()) == 40 })
	if n := dead.requests(); n != 2 {
		t.Fatalf("the dead peer got %d requests, want PerHost = 2", n)
	}
	if m := live.maxInflight.Load(); m > 2 {
		t.Fatalf("%d requests in flight to one host, PerHost = 2", m)
	}
	waitFor(t, 10*time.Second, "the dead peer's 40 left pending", func() bool { return pending(t, d) == 40 })
	if n := dead.requests(); n != 2 {
		t.Fatalf("the dead peer got %d requests, want PerHost = 2", n)
	}
}

// A request that hangs ends at Timeout; the host backs off (its other
// deliveries do not take senders meanwhile) and keeps its deliveries,
// which go out once it answers again.
func TestHangingPeerTimesOut(t *testing.T) {
	s := openStore(t, "")
	var hang atomic.Bool
	hang.Store(true)
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) int {
		if hang.Load() {
			<-r.Context().Done()
		}
		return http.StatusOK
	})
	d, logs := deliverer(t, s, Config{Workers: 8, PerHost: 2, Timeout: 200 * time.Millisecond,
		MinBackoff: time.Second, MaxBackoff: time.Second}, rc)
	run(t, d)
	var in []string
	for i := range 10 {
		in = append(in, rc.url(fmt.Sprintf("/u/%d/inbox", i)))
	}
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: in}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a timeout logged", func() bool { return strings.Contains(logs.String(), "retrying with backoff") })
	time.Sleep(100 * time.Millisecond) // within the backoff
	if n := rc.requests(); n > 2 {
		t.Fatalf("%d requests before the backoff ended, want at most PerHost = 2", n)
	}
	if n := pending(t, d); n != 10 {
		t.Fatalf("%d pending, want 10", n)
	}
	hang.Store(false)
	waitFor(t, 20*time.Second, "all 10 delivered", func() bool { return pending(t, d) == 0 })
	if n := len(rc.delivered()); n < 10 {
		t.Fatalf("%d delivered", n)
	}
}

// Deliveries still failing GiveUpAfter after they were queued are
// dropped and logged; a host down for less keeps them.
func TestGiveUpAfter(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) int { return http.StatusServiceUnavailable })
	d, logs := deliverer(t, s, Config{GiveUpAfter: 500 * time.Millisecond}, rc)
	run(t, d)
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/a"), rc.url("/b")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "two attempts", func() bool { return rc.requests() >= 2 })
	if n := pending(t, d); n != 2 {
		t.Fatalf("%d pending before GiveUpAfter", n)
	}
	waitFor(t, 10*time.Second, "the drop", func() bool { return len(s.keys("a")) == 0 })
	if !strings.Contains(logs.String(), "failing for too long") {
		t.Fatalf("drop not logged: %s", logs)
	}
}

// Deliveries queued when the Deliverer stops (the peer down) are sent by
// a new Deliverer on the reopened store, and what was delivered before
// is not sent again.
func TestRetriesSurviveRestart(t *testing.T) {
	s := openStore(t, "")
	var up atomic.Bool
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) int {
		if up.Load() || strings.HasPrefix(r.URL.Path, "/ok") {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	d, _ := deliverer(t, s, Config{}, rc)
	stop := run(t, d)
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/ok"), rc.url("/down1"), rc.url("/down2")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the first delivery done and a failure", func() bool {
		return len(rc.delivered()) == 1 && rc.requests() >= 2 && pending(t, d) == 2
	})
	stop()
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, s.dir)
	up.Store(true)
	d2, _ := deliverer(t, s, Config{}, rc)
	if n := pending(t, d2); n != 2 {
		t.Fatalf("%d pending after the restart, want 2", n)
	}
	run(t, d2)
	waitFor(t, 10*time.Second, "the queue drained", func() bool { return len(s.keys("a")) == 0 })
	paths := map[string]int{}
	for _, g := range rc.delivered() {
		paths[g.path]++
	}
	if paths["/ok"] != 1 || paths["/down1"] != 1 || paths["/down2"] != 1 {
		t.Fatalf("delivered %v", paths)
	}
}

// SECURITY row 42 of issue 14: more than 10,000 recipients, or an
// activity over 1 MiB, is refused before anything is queued; 10,000 are
// queued.
func TestEnqueueBounds_SecurityRow42(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, nil)
	d, _ := deliverer(t, s, Config{}, rc)
	ctx := context.Background()
	many := make([]string, 10001)
	for i := range many {
		many[i] = rc.url(fmt.Sprintf("/u/%d/inbox", i))
	}
	if _, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: many}); !errors.Is(err, ErrTooManyRecipients) {
		t.Fatalf("10,001 recipients: %v", err)
	}
	big := `{"type":"Note","content":"` + strings.Repeat("x", 1<<20) + `"}`
	if _, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(big), Inboxes: many[:1]}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a 1 MiB activity: %v", err)
	}
	if ks := s.keys(""); len(ks) != 0 {
		t.Fatalf("refused Enqueues wrote %d keys", len(ks))
	}
	q, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: many[:10000]})
	if err != nil || q.Targets != 10000 {
		t.Fatalf("10,000 recipients: %+v, %v", q, err)
	}
	if n := pending(t, d); n != 10000 {
		t.Fatalf("%d pending", n)
	}
}

// Bad input to Enqueue: refused activities, skipped inboxes.
func TestEnqueueBadInput_SecurityRow41(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, nil)
	d, _ := deliverer(t, s, Config{}, rc)
	ctx := context.Background()
	for _, tc := range []struct {
		name, sender, body string
		want               error
	}{
		{"no sender", "", note, ErrInvalid},
		{"not JSON", alice, `{"type":`, ErrInvalid},
		{"array", alice, `[{"type":"Note"}]`, ErrInvalid},
		{"string", alice, `"Create"`, ErrInvalid},
		{"empty", alice, ``, ErrInvalid},
		{"trailing garbage", alice, note + `}`, ErrInvalid},
	} {
		if _, err := d.Enqueue(ctx, Post{Sender: tc.sender, Body: []byte(tc.body), Inboxes: []string{rc.url("/inbox")}}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	bad := []string{
		"", "inbox", "/inbox", "ftp://example.org/inbox", "mailto:a@example.org",
		"https://user:pw@example.org/inbox", "https:///inbox", "https://example.org/" + strings.Repeat("x", 1100),
		"http://example.org/inbox",           // plain http to a host not allowed
		"http://127.0.0.1:1/inbox",           // a loopback port not allowed
		"https://169.254.169.254/inbox",      // SECURITY row 41: metadata address
		"https://[::ffff:127.0.0.1]/inbox",   // row 41: mapped loopback
		"https://10.0.0.1/inbox",             // private
		"http://[" + "::1" + "]:1/inbox",     // loopback v6
		"https://example.org\x00.evil/inbox", // control character
	}
	q, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: bad})
	if err != nil || q.Targets != 0 || q.Skipped != len(bad) || q.ID != "" {
		t.Fatalf("Enqueue of bad inboxes = %+v, %v", q, err)
	}
	if ks := s.keys(""); len(ks) != 0 {
		t.Fatalf("wrote %v", ks)
	}
}

// SECURITY row 41: an inbox whose host name resolves to a loopback
// address is refused at dial time, never contacted, and dropped.
func TestInboxResolvingToLoopbackRefused_SecurityRow41(t *testing.T) {
	s := openStore(t, "")
	allowed, rc := newReceiver(t, nil), newReceiver(t, nil) // rc's port is not allowed
	d, logs := deliverer(t, s, Config{}, allowed)
	run(t, d)
	port := rc.addr().Port()
	q, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{fmt.Sprintf("https://localhost:%d/inbox", port)}})
	if err != nil || q.Targets != 1 {
		t.Fatalf("Enqueue = %+v, %v", q, err)
	}
	waitFor(t, 10*time.Second, "the drop", func() bool { return len(s.keys("a")) == 0 })
	if rc.requests() != 0 || !strings.Contains(logs.String(), "forbidden address") {
		t.Fatalf("requests %d, logs %s", rc.requests(), logs)
	}
}

// A sender whose pod is gone: its deliveries are dropped.
func TestUnknownSenderDropped(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, nil)
	d, _ := deliverer(t, s, Config{}, rc)
	run(t, d)
	if _, err := d.Enqueue(context.Background(), Post{Sender: "https://pod.example/.ap/actors/gone", Body: []byte(note), Inboxes: []string{rc.url("/inbox")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the drop", func() bool { return len(s.keys("a")) == 0 })
	if rc.requests() != 0 {
		t.Fatal("sent for a sender that is gone")
	}
}

// Issue 14, deliverable 3: a delivery target down for a day. Its
// deliveries were queued a day ago (their records say so) and the server
// restarted meanwhile: the new Deliverer keeps retrying them and delivers
// them once the peer is back; one queued more than GiveUpAfter (2 days)
// ago is dropped and logged without being sent.
func TestTargetDownForADaySurvivesRestart(t *testing.T) {
	s := openStore(t, "")
	var up atomic.Bool
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	d, _ := deliverer(t, s, Config{}, rc)
	stop := run(t, d)
	ctx := context.Background()
	if _, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/day1"), rc.url("/day2"), rc.url("/old")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "failed attempts", func() bool { return rc.requests() >= 3 })
	stop()
	// A day passes (two days and more for /old).
	for _, k := range s.keys(keyItem) {
		v, err := s.q.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var it item
		if err := json.Unmarshal(v, &it); err != nil {
			t.Fatal(err)
		}
		it.Queued = it.Queued.Add(-24 * time.Hour)
		if strings.HasSuffix(it.Inbox, "/old") {
			it.Queued = it.Queued.Add(-25 * time.Hour)
		}
		v, _ = json.Marshal(it)
		if err := s.q.Put(ctx, k, v, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, s.dir)
	d2, logs := deliverer(t, s, Config{GiveUpAfter: DefaultGiveUpAfter}, rc)
	run(t, d2)
	before := rc.requests()
	waitFor(t, 10*time.Second, "/old dropped, /day1 and /day2 retried", func() bool {
		return pending(t, d2) == 2 && rc.requests() >= before+2
	})
	up.Store(true)
	waitFor(t, 10*time.Second, "the queue drained", func() bool { return len(s.keys("a")) == 0 })
	var paths []string
	for _, g := range rc.delivered() {
		paths = append(paths, g.path)
	}
	if len(paths) != 2 || slices.Contains(paths, "/old") {
		t.Fatalf("delivered %v, want /day1 and /day2", paths)
	}
	if !strings.Contains(logs.String(), "failing for too long") {
		t.Fatalf("the drop of /old not logged: %s", logs)
	}
}

// An Enqueue offered again with the same Key (a change-log consumer
// after a crash) queues nothing, also after a restart; another key does.
func TestEnqueueKeyIdempotent(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, nil)
	d, _ := deliverer(t, s, Config{}, rc)
	ctx := context.Background()
	p := Post{Key: "https://pod.example/.ap/actors/alice/activities/1", Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/inbox")}}
	q1, err := d.Enqueue(ctx, p)
	if err != nil || q1.Duplicate || q1.Targets != 1 {
		t.Fatalf("first: %+v, %v", q1, err)
	}
	q2, err := d.Enqueue(ctx, p)
	if err != nil || !q2.Duplicate || q2.ID != q1.ID || q2.Targets != 0 {
		t.Fatalf("again: %+v, %v; want a duplicate of %s", q2, err, q1.ID)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, s.dir)
	d, _ = deliverer(t, s, Config{}, rc)
	if q3, err := d.Enqueue(ctx, p); err != nil || !q3.Duplicate {
		t.Fatalf("after a restart: %+v, %v", q3, err)
	}
	p.Key += "x"
	if q4, err := d.Enqueue(ctx, p); err != nil || q4.Duplicate || q4.Targets != 1 {
		t.Fatalf("another key: %+v, %v", q4, err)
	}
	run(t, d)
	waitFor(t, 10*time.Second, "the queue drained", func() bool { return pending(t, d) == 0 })
	if n := rc.requests(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

// The activity goes out byte for byte as given (whitespace, HTML in
// strings, key order), also after a restart.
func TestBodySentAsGiven(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, nil)
	body := "{\n  \"type\": \"Create\",\n  \"object\": {\"content\": \"<p>a & b</p>\", \"z\": 1, \"a\": \"\\u00e9\"}\n}\n"
	d, _ := deliverer(t, s, Config{}, rc)
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(body), Inboxes: []string{rc.url("/inbox")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, s.dir)
	d, _ = deliverer(t, s, Config{}, rc)
	run(t, d)
	waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.delivered()) == 1 })
	if got := string(rc.delivered()[0].body); got != body {
		t.Fatalf("sent %q, want %q", got, body)
	}
}

// Many dead peers at once (instances that are gone for good are common
// among followers) do not take every sender: a failing host gets one
// request in flight at a time, and failing hosts together at most half
// of the senders, so a live peer keeps its share.
//
// The requests in flight are counted on the sending side, from the
// request's start until the client has its answer or its timeout: counted
// in the peers' handlers, a request the client had given up on still
// looked in flight until the peer's server noticed the closed connection.
// CI saw 4 (every worker) once; the cause was the test's own start of
// counting (below), not the scheduler.
func TestManyDeadPeersLeaveSendersForLive(t *testing.T) {
	s := openStore(t, "")
	hang := func(_ int, _ http.ResponseWriter, r *http.Request) int {
		<-r.Context().Done()
		return http.StatusOK
	}
	var rcs []*receiver
	dead := map[string]bool{}
	for range 6 {
		rc := newReceiver(t, hang)
		rcs = append(rcs, rc)
		dead[rc.addr().String()] = true
	}
	live := newReceiver(t, nil)
	d, logs := deliverer(t, s, Config{Workers: 4, PerHost: 2, Timeout: 150 * time.Millisecond,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 5 * time.Millisecond}, append(rcs, live)...)
	ct := &countingTransport{next: d.hc.Transport, counted: func(r *http.Request) bool { return dead[r.URL.Host] }}
	d.hc.Transport = ct
	run(t, d)
	ctx := context.Background()
	var in []string
	for i, rc := range rcs {
		for j := range 5 {
			in = append(in, rc.url(fmt.Sprintf("/%d/%d", i, j)))
		}
	}
	if _, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: in}); err != nil {
		t.Fatal(err)
	}
	// Counting starts once every dead host is failing and all it has in
	// flight are probes: every request that starts from then on is a
	// probe. (Counting "retrying with backoff" lines did not tell that:
	// two requests of one host failing at once log it twice; and a
	// request taken before its host failed may reach the network after.)
	waitFor(t, 20*time.Second, "every dead host failing, only probes in flight", func() bool {
		d.sched.mu.Lock()
		defer d.sched.mu.Unlock()
		for addr := range dead {
			h := d.sched.hosts[addr]
			if h == nil || h.since.IsZero() || len(h.inflight) != h.probes {
				return false
			}
		}
		return true
	})
	if n := strings.Count(logs.String(), "retrying with backoff"); n < len(rcs) {
		t.Fatalf("%d failures logged for %d failing hosts", n, len(rcs))
	}
	ct.start()
	var liveIn []string
	for i := range 20 {
		liveIn = append(liveIn, live.url(fmt.Sprintf("/u/%d", i)))
	}
	if _, err := d.Enqueue(ctx, Post{Sender: alice, Body: []byte(note), Inboxes: liveIn}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the live peer's 20 deliveries", func() bool { return len(live.delivered()) == 20 })
	// The dead hosts go on being probed: a dozen probes counted make sure
	// the measure saw them compete for the senders.
	waitFor(t, 20*time.Second, "12 probes counted", func() bool { return ct.total.Load() >= 12 })
	if m := ct.max.Load(); m > 2 {
		t.Fatalf("%d probes in flight to failing hosts at once, want at most Workers/2 = 2", m)
	}
}

// countingTransport counts the requests in flight that counted selects,
// once start was called: now and the most at once.
type countingTransport struct {
	next           http.RoundTripper
	counted        func(*http.Request) bool
	on             atomic.Bool
	in, max, total atomic.Int64
}

func (c *countingTransport) start() { c.on.Store(true) }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.on.Load() && c.counted(r) {
		c.total.Add(1)
		n := c.in.Add(1)
		defer c.in.Add(-1)
		for m := c.max.Load(); n > m && !c.max.CompareAndSwap(m, n); m = c.max.Load() {
		}
	}
	return c.next.RoundTrip(r)
}

// A host failing when the server stopped is failing after the restart:
// probed one delivery at a time (not PerHost), and its recovery is
// logged.
func TestFailingMarkSurvivesRestart(t *testing.T) {
	s := openStore(t, "")
	var phase atomic.Int32 // 0: 503; 1: hang; 2: 200
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) int {
		switch phase.Load() {
		case 0:
			return http.StatusServiceUnavailable
		case 1:
			<-r.Context().Done()
		}
		return http.StatusOK
	})
	d, _ := deliverer(t, s, Config{PerHost: 3}, rc)
	stop := run(t, d)
	var in []string
	for i := range 6 {
		in = append(in, rc.url(fmt.Sprintf("/u/%d", i)))
	}
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: in}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the failure mark", func() bool { return len(s.keys(keyFailing)) == 1 })
	stop()
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, s.dir)
	phase.Store(1)
	before := rc.requests()
	d2, logs := deliverer(t, s, Config{PerHost: 3, Timeout: 300 * time.Millisecond}, rc)
	run(t, d2)
	waitFor(t, 10*time.Second, "the probe", func() bool { return rc.requests() > before })
	time.Sleep(100 * time.Millisecond) // within Timeout: PerHost requests would all have come
	if n := rc.requests() - before; n != 1 {
		t.Fatalf("%d requests after the restart, want one probe", n)
	}
	phase.Store(2)
	waitFor(t, 10*time.Second, "the queue drained", func() bool { return len(s.keys("a")) == 0 })
	if !strings.Contains(logs.String(), "activity inbox recovered") {
		t.Fatalf("recovery not logged: %s", logs)
	}
}

// A signer that fails (the sender's key unreadable for a while) is no
// failure of the peer: nothing is sent unsigned, the host is not marked
// failing, and the delivery goes out once the signer works.
func TestSignerFailurePostpones(t *testing.T) {
	s := openStore(t, "")
	rc := newReceiver(t, nil)
	var broken atomic.Bool
	broken.Store(true)
	signer := func(ctx context.Context, sender string) (Signer, error) {
		sign, err := testSigner(ctx, sender)
		return func(req *http.Request, body []byte) error {
			if broken.Load() {
				return errors.New("key store unavailable")
			}
			return sign(req, body)
		}, err
	}
	d, logs := deliverer(t, s, Config{SignerFor: signer}, rc)
	run(t, d)
	if _, err := d.Enqueue(context.Background(), Post{Sender: alice, Body: []byte(note), Inboxes: []string{rc.url("/inbox")}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the postponement", func() bool { return strings.Contains(logs.String(), "postponed") })
	if rc.requests() != 0 || len(s.keys(keyFailing)) != 0 || strings.Contains(logs.String(), "retrying with backoff") {
		t.Fatalf("requests %d, failure marks %v, logs %s", rc.requests(), s.keys(keyFailing), logs)
	}
	broken.Store(false)
	waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.delivered()) == 1 })
}
