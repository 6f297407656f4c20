package notify_test

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naamio/naamio/ldp/ldptest"
	"github.com/naamio/naamio/notify"
)

// BenchmarkWebhookDrain: how fast the senders empty the durable queues
// once a receiver on 127.0.0.1 that was down comes back. b.N changes are
// queued for each of the channels on one topic (untimed), then the timer
// runs until every delivery (DPoP token and proof signed, POSTed, 2xx,
// removed from the queue) is done; ns/op is per change. The README
// figures: `go test -run XXX -bench WebhookDrain -benchtime 500x ./notify`.
func BenchmarkWebhookDrain(b *testing.B) {
	for _, channels := range []int{1, 8} {
		b.Run("channels="+strconv.Itoa(channels), func(b *testing.B) {
			var up atomic.Bool
			rc := newReceiver(b, func(int, *http.Request) int {
				if up.Load() {
					return http.StatusOK
				}
				return http.StatusServiceUnavailable
			})
			p := newHookPod(b, notify.WebhookConfig{MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, rc.addr())
			for range channels {
				resp, body := ldptest.Send(b, p.owner, "POST", p.base+".notifications/WebhookChannel2023/", "application/ld+json", hookRequest(p.base+"doc", rc.url()))
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("subscribe: %d %s", resp.StatusCode, body)
				}
			}
			for i := range b.N {
				if resp, body := ldptest.Send(b, p.owner, "PUT", p.base+"doc", "text/plain", strconv.Itoa(i)); resp.StatusCode >= 300 {
					b.Fatalf("PUT = %d %s", resp.StatusCode, body)
				}
			}
			for p.queuedTB(b) < b.N*channels {
				time.Sleep(10 * time.Millisecond)
			}
			b.ResetTimer()
			start := time.Now()
			up.Store(true)
			rc.wait(b, b.N*channels, 5*time.Minute)
			b.StopTimer()
			b.ReportMetric(float64(b.N*channels)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}
